use std::{
    io::IsTerminal,
    path::{Path, PathBuf},
};

use alloy_primitives::{Address, hex};
use anyhow::{Context, bail};
use cairn_keys::{KeyFile, KeystoreDir};
use clap::{ArgGroup, Args, Subcommand};

#[derive(Debug, Args)]
pub(crate) struct KeysArgs {
    /// Directory of V3 keystore files (one key per file, geth-style names).
    #[arg(long, global = true, default_value = "./.cairn/keystore")]
    keystore: PathBuf,
    #[command(subcommand)]
    command: KeysCommand,
}

#[derive(Debug, Subcommand)]
enum KeysCommand {
    /// Generate a random key and encrypt it into the keystore; prints its address and file.
    New {
        #[command(flatten)]
        password: PasswordArgs,
    },
    /// Print the address and file of every key in the keystore; unusable files go to stderr.
    List,
    /// Import a V3 keystore file (e.g. from `cast wallet new` or geth), or a raw private key.
    #[command(group(ArgGroup::new("source").required(true).args(["file", "private_key_file"])))]
    Import {
        /// A V3 keystore file to copy in; the password is that file's password.
        file: Option<PathBuf>,
        /// A file holding a raw private key in hex (`/dev/stdin` reads a pipe); the password
        /// encrypts the new keystore file.
        #[arg(long)]
        private_key_file: Option<PathBuf>,
        #[command(flatten)]
        password: PasswordArgs,
    },
    /// Copy a key's keystore file out (`--out`), or print its decrypted private key.
    #[command(group(ArgGroup::new("target").required(true).args(["out", "private_key"])))]
    Export {
        /// The key's address.
        address: Address,
        /// Write the (still encrypted) keystore file here; an existing file is not overwritten.
        #[arg(long)]
        out: Option<PathBuf>,
        /// Decrypt the key and print it in hex on stdout.
        #[arg(long)]
        private_key: bool,
        #[command(flatten)]
        password: PasswordArgs,
    },
}

#[derive(Debug, Args)]
struct PasswordArgs {
    /// Read the password from this file; trailing whitespace and line endings are ignored, as
    /// Foundry's `--password-file` does. Without it the password is prompted for (needs a
    /// terminal).
    #[arg(long)]
    password_file: Option<PathBuf>,
}

/// Whether a prompted password is for a new keystore (asked twice) or an existing one.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Prompt {
    New,
    Existing,
}

pub(crate) fn run(args: KeysArgs) -> anyhow::Result<()> {
    let keystore = KeystoreDir::new(&args.keystore);
    match args.command {
        KeysCommand::New { password } => {
            let password = read_password(&password, Prompt::New)?;
            print_key(&keystore.create(&password)?);
        }
        KeysCommand::List => {
            let listing = keystore.list()?;
            for skipped in &listing.skipped {
                eprintln!("skipping {}: {}", skipped.path.display(), skipped.reason);
            }
            if listing.keys.is_empty() {
                eprintln!("no keys in {}", keystore.path().display());
            }
            listing.keys.iter().for_each(print_key);
        }
        KeysCommand::Import { file, private_key_file, password } => {
            let key = match (file, private_key_file) {
                (Some(file), _) => {
                    let password = read_password(&password, Prompt::Existing)?;
                    keystore.import_keystore(&file, &password)?
                }
                (None, Some(key_file)) => {
                    let private_key = std::fs::read_to_string(&key_file)
                        .with_context(|| format!("reading {}", key_file.display()))?;
                    let password = read_password(&password, Prompt::New)?;
                    keystore.import_private_key(&private_key, &password)?
                }
                (None, None) => bail!("pass a keystore FILE or --private-key-file"),
            };
            print_key(&key);
        }
        KeysCommand::Export { address, out, private_key, password } => match (private_key, out) {
            (true, _) => {
                let password = read_password(&password, Prompt::Existing)?;
                let signer = keystore.export_private_key(address, &password)?;
                println!("0x{}", hex::encode(signer.to_bytes()));
            }
            (false, Some(out)) => {
                keystore.export_keystore(address, &out)?;
                print_key(&KeyFile { address, path: out });
            }
            (false, None) => bail!("pass --out FILE or --private-key"),
        },
    }
    Ok(())
}

fn print_key(key: &KeyFile) {
    println!("{} {}", key.address, key.path.display());
}

fn read_password(args: &PasswordArgs, prompt: Prompt) -> anyhow::Result<String> {
    if let Some(file) = &args.password_file {
        return read_password_file(file);
    }
    if !std::io::stdin().is_terminal() {
        bail!("no password: pass --password-file FILE (stdin is not a terminal, so no prompt)");
    }
    let password = rpassword::prompt_password("Password: ").context("reading the password")?;
    if prompt == Prompt::New {
        let again =
            rpassword::prompt_password("Repeat password: ").context("reading the password")?;
        if again != password {
            bail!("the passwords do not match");
        }
    }
    Ok(password)
}

fn read_password_file(file: &Path) -> anyhow::Result<String> {
    let text = std::fs::read_to_string(file)
        .with_context(|| format!("reading password file {}", file.display()))?;
    Ok(text.trim_end().to_string())
}
