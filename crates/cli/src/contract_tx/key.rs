//! The account that signs a contract transaction (`cairn staking register`'s operator, `cairn
//! gov`'s admin): from a keystore file, a private key on the command line, or a private key in
//! an environment variable. The key is never printed.

use std::io::IsTerminal;
use std::path::Path;

use alloy_signer_local::PrivateKeySigner;
use anyhow::{Context, bail};

/// The variable read for a `--from` keystore's password when no `--password-file` is given.
pub(crate) const PASSWORD_ENV: &str = "CAIRN_FROM_PASSWORD";

/// Printed when a private key comes on the command line.
pub(crate) const COMMAND_LINE_KEY_WARNING: &str = "warning: a private key on the command line \
    is visible to other users of this machine (ps, /proc) and may stay in your shell history; \
    prefer a keystore file or --from-env VAR";

/// Where the signing key comes from, as the flags named it.
#[derive(Clone, Copy)]
pub(crate) enum KeySource<'a> {
    /// `--from FILE` or `--from 0xKEY`.
    Arg(&'a str),
    /// `--from-env VAR`.
    Env(&'a str),
}

/// The signer. `env` looks up environment variables (the process's own in the
/// binary), `warn` receives [`COMMAND_LINE_KEY_WARNING`] when a key came on the command line.
pub(crate) fn load(
    from: KeySource<'_>,
    password_file: Option<&Path>,
    env: impl Fn(&str) -> Option<String>,
    warn: impl FnOnce(&str),
) -> anyhow::Result<PrivateKeySigner> {
    match from {
        KeySource::Env(var) => {
            let key = env(var).with_context(|| format!("--from-env: ${var} is not set"))?;
            cairn_keys::parse_private_key(&key).with_context(|| format!("--from-env: ${var}"))
        }
        KeySource::Arg(text) if Path::new(text).exists() => {
            let path = Path::new(text);
            let password = match password_file {
                Some(file) => read_password_file(file)?,
                None => match env(PASSWORD_ENV) {
                    Some(password) => password,
                    None => prompt(path)?,
                },
            };
            Ok(cairn_keys::decrypt(path, &password)?)
        }
        KeySource::Arg(text) if text.trim().starts_with("0x") => {
            warn(COMMAND_LINE_KEY_WARNING);
            // The error names what is wrong with the key, never the key itself.
            cairn_keys::parse_private_key(text).context("--from")
        }
        KeySource::Arg(text) => {
            bail!("--from {text:?}: no such keystore file (a private key starts with 0x)")
        }
    }
}

fn read_password_file(file: &Path) -> anyhow::Result<String> {
    let text = std::fs::read_to_string(file)
        .with_context(|| format!("reading password file {}", file.display()))?;
    Ok(text.trim_end().to_string())
}

fn prompt(keystore: &Path) -> anyhow::Result<String> {
    if !std::io::stdin().is_terminal() {
        bail!(
            "no password for {}: pass --password-file FILE or set {PASSWORD_ENV} (stdin is not \
             a terminal, so no prompt)",
            keystore.display()
        );
    }
    rpassword::prompt_password(format!("Password for {}: ", keystore.display()))
        .context("reading the password")
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use cairn_keys::KeystoreDir;

    const KEY: &str = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d";

    fn no_env(_: &str) -> Option<String> {
        None
    }

    #[test]
    fn a_key_on_the_command_line_works_with_a_warning() {
        let mut warned = None;
        let signer =
            load(KeySource::Arg(KEY), None, no_env, |w| warned = Some(w.to_string())).unwrap();
        assert_eq!(signer.address().to_string(), "0x70997970C51812dc3A010C7d01b50e0d17dc79C8");
        assert_eq!(warned.as_deref(), Some(COMMAND_LINE_KEY_WARNING));
    }

    #[test]
    fn a_key_from_the_environment_works_without_a_warning() {
        let env = |var: &str| (var == "OPERATOR_KEY").then(|| KEY.to_string());
        let signer = load(KeySource::Env("OPERATOR_KEY"), None, env, |_| panic!("warned")).unwrap();
        assert_eq!(signer.address().to_string(), "0x70997970C51812dc3A010C7d01b50e0d17dc79C8");
        let unset = load(KeySource::Env("MISSING"), None, env, |_| {}).unwrap_err();
        assert!(unset.to_string().contains("$MISSING is not set"), "{unset}");
    }

    #[test]
    fn a_keystore_takes_its_password_from_a_file_or_the_environment() {
        let dir = tempfile::tempdir().unwrap();
        let key = KeystoreDir::new(dir.path().join("keys")).create("hunter2").unwrap();
        let path = key.path.to_str().unwrap();
        let password_file = dir.path().join("password");
        std::fs::write(&password_file, "hunter2\n").unwrap();
        let from_file = load(KeySource::Arg(path), Some(&password_file), no_env, |_| {}).unwrap();
        assert_eq!(from_file.address(), key.address);
        let env = |var: &str| (var == PASSWORD_ENV).then(|| "hunter2".to_string());
        assert_eq!(load(KeySource::Arg(path), None, env, |_| {}).unwrap().address(), key.address);
        let wrong = |var: &str| (var == PASSWORD_ENV).then(|| "wrong".to_string());
        assert!(load(KeySource::Arg(path), None, wrong, |_| {}).is_err());
    }

    #[test]
    fn bad_keys_are_refused_without_echoing_them() {
        let short = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b7869";
        let error = format!("{:#}", load(KeySource::Arg(short), None, no_env, |_| {}).unwrap_err());
        assert!(!error.contains(&short[2..]), "{error}");
        let missing = load(KeySource::Arg("/no/such/keystore"), None, no_env, |_| {}).unwrap_err();
        assert!(missing.to_string().contains("no such keystore file"), "{missing}");
    }
}
