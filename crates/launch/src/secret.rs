//! Key and password files: written readable by their owner only, read with a size bound.

use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

use crate::LaunchError;

/// Writes a file only its owner can read (0600), for keys and passwords.
pub fn write_secret(path: &Path, contents: &[u8]) -> Result<(), LaunchError> {
    let write = |source| LaunchError::Write { path: path.to_path_buf(), source };
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map_err(write)?;
    file.write_all(contents).map_err(write)?;
    file.sync_all().map_err(write)
}

/// Reads a small secret file (a key or a password), refusing anything large.
pub fn read_secret(path: &Path) -> Result<String, LaunchError> {
    let read = |source| LaunchError::Read { path: path.to_path_buf(), source };
    let meta = std::fs::metadata(path).map_err(read)?;
    if meta.len() > 64 * 1024 {
        return Err(LaunchError::SecretTooLarge { path: path.to_path_buf() });
    }
    let text = std::fs::read_to_string(path).map_err(read)?;
    Ok(text.trim_end_matches(['\n', '\r']).to_string())
}
