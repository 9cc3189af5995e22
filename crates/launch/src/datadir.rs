//! The data directory of a node: its chain spec and its store, created only when new.

use std::path::{Path, PathBuf};

use cairn_primitives::ChainSpec;
use cairn_storage::{ChainStore, RedbKv, StoreError};

use crate::LaunchError;

/// The files of a data directory: `genesis.json` (the spec its chain was created with) and
/// `chain.redb` (the chain). A store is only ever created in a new directory (neither file
/// there); a spec without its store, or an empty store, is an error, never a new chain.
pub struct DataDir {
    root: PathBuf,
}

impl DataDir {
    /// The data directory at `root` (nothing is read or created yet).
    pub fn new(root: &Path) -> Self {
        Self { root: root.to_path_buf() }
    }

    fn spec_path(&self) -> PathBuf {
        self.root.join("genesis.json")
    }

    fn store_path(&self) -> PathBuf {
        self.root.join("chain.redb")
    }

    /// The spec the chain in this directory was created with, if any.
    pub fn stored_spec(&self) -> Result<Option<ChainSpec>, LaunchError> {
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
    pub fn open_chain(&self, given: Option<ChainSpec>) -> Result<(ChainSpec, RedbKv), LaunchError> {
        let store = self.store_path();
        let has_store = store
            .try_exists()
            .map_err(|source| LaunchError::Read { path: store.clone(), source })?;
        let spec = match (self.stored_spec()?, given) {
            (Some(stored), Some(given)) if stored != given => {
                return Err(LaunchError::SpecMismatch { dir: self.root.clone() });
            }
            (Some(stored), _) => {
                let kv = RedbKv::open(&store).map_err(opening(&store))?;
                return Ok((stored, kv));
            }
            (None, Some(given)) => given,
            (None, None) => ChainSpec::dev()?,
        };
        let kv = if has_store {
            // A store without its spec: the first start stopped before saving it. The store's
            // genesis must be the spec's.
            RedbKv::open(&store).map_err(opening(&store))?
        } else {
            std::fs::create_dir_all(&self.root)
                .map_err(|source| LaunchError::CreateDir { path: self.root.clone(), source })?;
            RedbKv::create(&store).map_err(|source| LaunchError::Store {
                action: "creating",
                path: store.clone(),
                source,
            })?
        };
        let kv = ChainStore::open(kv, &spec).map_err(opening(&store))?.into_kv();
        self.save_spec(&spec)?;
        Ok((spec, kv))
    }

    /// The stored chain, opened read-only for an audit once redb has checked every page:
    /// nothing in the directory is created or written, and a read-only directory or file (a
    /// backup) will do.
    pub fn open_audit(&self) -> Result<(ChainSpec, ChainStore<RedbKv>), LaunchError> {
        let Some(spec) = self.stored_spec()? else {
            return Err(LaunchError::NoChain { dir: self.root.clone() });
        };
        let store = self.store_path();
        let kv = RedbKv::open_read_only(&store).map_err(opening(&store))?;
        let chain = ChainStore::open_existing(kv, &spec).map_err(opening(&store))?;
        Ok((spec, chain))
    }

    /// Saves the spec under a temporary name and renames it into place, so `genesis.json` is
    /// never half written.
    fn save_spec(&self, spec: &ChainSpec) -> Result<(), LaunchError> {
        let path = self.spec_path();
        let temp = self.root.join(format!("genesis.json.new-{}", std::process::id()));
        std::fs::write(&temp, spec.render(false)?)
            .and_then(|()| std::fs::rename(&temp, &path))
            .map_err(|source| LaunchError::Write { path, source })
    }
}

/// The error of a store that could not be opened at `path`.
fn opening(path: &Path) -> impl Fn(StoreError) -> LaunchError + '_ {
    move |source| LaunchError::Store { action: "opening", path: path.to_path_buf(), source }
}
