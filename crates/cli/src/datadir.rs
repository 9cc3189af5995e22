use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use cairn_primitives::ChainSpec;
use cairn_storage::RedbKv;

/// The files of a data directory.
pub(crate) struct DataDir {
    root: PathBuf,
}

impl DataDir {
    pub(crate) fn new(root: &Path) -> Self {
        Self { root: root.to_path_buf() }
    }

    fn spec_path(&self) -> PathBuf {
        self.root.join("genesis.json")
    }

    /// The spec the chain in this directory was created with, if any.
    pub(crate) fn stored_spec(&self) -> anyhow::Result<Option<ChainSpec>> {
        let path = self.spec_path();
        if !path.exists() {
            return Ok(None);
        }
        Ok(Some(ChainSpec::from_file(&path)?))
    }

    /// The spec to run: the stored one, which a given one must equal; or the given one (or
    /// the dev spec) for a new directory, saved for later runs and audits.
    pub(crate) fn resolve_spec(&self, given: Option<ChainSpec>) -> anyhow::Result<ChainSpec> {
        match (self.stored_spec()?, given) {
            (Some(stored), Some(given)) if stored != given => bail!(
                "{} already holds a chain with another spec; use a new --datadir",
                self.root.display()
            ),
            (Some(stored), _) => Ok(stored),
            (None, given) => {
                let spec = match given {
                    Some(spec) => spec,
                    None => ChainSpec::dev()?,
                };
                std::fs::create_dir_all(&self.root)
                    .with_context(|| format!("creating {}", self.root.display()))?;
                std::fs::write(self.spec_path(), spec.render(false)?)
                    .with_context(|| format!("writing {}", self.spec_path().display()))?;
                Ok(spec)
            }
        }
    }

    /// Opens the chain database.
    pub(crate) fn open_store(&self) -> anyhow::Result<RedbKv> {
        let path = self.root.join("chain.redb");
        RedbKv::open(&path).with_context(|| format!("opening {}", path.display()))
    }
}
