use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use cairn_primitives::ChainSpec;
use cairn_storage::{ChainStore, RedbKv};

/// The files of a data directory: `genesis.json` (the spec its chain was created with) and
/// `chain.redb` (the chain). A store is only ever created in a new directory (neither file
/// there); a spec without its store, or an empty store, is an error, never a new chain.
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

    fn store_path(&self) -> PathBuf {
        self.root.join("chain.redb")
    }

    /// The spec the chain in this directory was created with, if any.
    pub(crate) fn stored_spec(&self) -> anyhow::Result<Option<ChainSpec>> {
        let path = self.spec_path();
        if !path.exists() {
            return Ok(None);
        }
        Ok(Some(ChainSpec::from_file(&path)?))
    }

    /// The chain to run, opened for writing: the stored one, whose spec a given one must
    /// equal; or, in a new directory, a new chain from the given spec (or the dev spec). The
    /// store is created and holds genesis before the spec is saved, so a directory with a spec
    /// always had a store.
    pub(crate) fn open_chain(
        &self,
        given: Option<ChainSpec>,
    ) -> anyhow::Result<(ChainSpec, RedbKv)> {
        let store = self.store_path();
        let has_store =
            store.try_exists().with_context(|| format!("looking for {}", store.display()))?;
        let spec = match (self.stored_spec()?, given) {
            (Some(stored), Some(given)) if stored != given => bail!(
                "{} already holds a chain with another spec; use a new --datadir",
                self.root.display()
            ),
            (Some(stored), _) => {
                let kv = RedbKv::open(&store).with_context(|| opening(&store))?;
                return Ok((stored, kv));
            }
            (None, Some(given)) => given,
            (None, None) => ChainSpec::dev()?,
        };
        let kv = if has_store {
            // A store without its spec: the first start stopped before saving it. The store's
            // genesis must be the spec's.
            RedbKv::open(&store).with_context(|| opening(&store))?
        } else {
            std::fs::create_dir_all(&self.root)
                .with_context(|| format!("creating {}", self.root.display()))?;
            RedbKv::create(&store).with_context(|| format!("creating {}", store.display()))?
        };
        let kv = ChainStore::open(kv, &spec).with_context(|| opening(&store))?.into_kv();
        self.save_spec(&spec)?;
        Ok((spec, kv))
    }

    /// The stored chain, opened read-only for an audit once redb has checked every page:
    /// nothing in the directory is created or written, and a read-only directory or file (a
    /// backup) will do.
    pub(crate) fn open_audit(&self) -> anyhow::Result<(ChainSpec, ChainStore<RedbKv>)> {
        let Some(spec) = self.stored_spec()? else {
            bail!("{} holds no chain (no genesis.json)", self.root.display());
        };
        let store = self.store_path();
        let kv = RedbKv::open_read_only(&store).with_context(|| opening(&store))?;
        let chain = ChainStore::open_existing(kv, &spec).with_context(|| opening(&store))?;
        Ok((spec, chain))
    }

    /// Saves the spec under a temporary name and renames it into place, so `genesis.json` is
    /// never half written.
    fn save_spec(&self, spec: &ChainSpec) -> anyhow::Result<()> {
        let path = self.spec_path();
        let temp = self.root.join(format!("genesis.json.new-{}", std::process::id()));
        std::fs::write(&temp, spec.render(false)?)
            .and_then(|()| std::fs::rename(&temp, &path))
            .with_context(|| format!("writing {}", path.display()))
    }
}

fn opening(path: &Path) -> String {
    format!("opening {}", path.display())
}
