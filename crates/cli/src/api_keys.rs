use std::num::NonZeroU32;
use std::path::PathBuf;
use std::time::{Duration, UNIX_EPOCH};

use cairn_api::{ApiKeyFile, Rate, Scope};
use clap::{Args, Subcommand};

#[derive(Debug, Args)]
pub(crate) struct ApiKeysArgs {
    /// The node's data directory; its keys live in `api-keys.json` there.
    #[arg(long, global = true, default_value = "./.cairn/dev")]
    datadir: PathBuf,
    #[command(subcommand)]
    command: ApiKeysCommand,
}

#[derive(Debug, Subcommand)]
enum ApiKeysCommand {
    /// Make a key and print it (only here, only once); its SHA-256 is what is stored.
    Create {
        /// What the key may do beyond reading, comma-separated: tx:write, audit:admin,
        /// webhooks:write. None makes a read-only key.
        #[arg(long, value_delimiter = ',')]
        scopes: Vec<Scope>,
        /// Its request rate: 50/s, 600/min or 1000/h.
        #[arg(long, default_value = "50/s")]
        rate: Rate,
        /// Requests it may send at once before the rate applies (default: the rate's count).
        #[arg(long)]
        burst: Option<NonZeroU32>,
    },
    /// Print every key: id, scopes, rate, burst, creation, last use (as the node recorded it)
    /// and whether it is revoked.
    List,
    /// Revoke a key by id; a running node refuses it within about a second.
    Revoke {
        /// The key's id (its second part: cairn_<id>_…).
        id: String,
    },
}

pub(crate) fn run(args: ApiKeysArgs) -> anyhow::Result<()> {
    let file = ApiKeyFile::in_dir(&args.datadir);
    match args.command {
        ApiKeysCommand::Create { scopes, rate, burst } => {
            let (key, token) = file.create(&scopes, rate, burst)?;
            eprintln!(
                "created key {} (scopes {}, rate {} burst {}); it is shown only now, {} keeps \
                 its SHA-256",
                key.id,
                scope_list(&key.scopes),
                key.rate,
                key.burst,
                file.path().display()
            );
            println!("{token}");
        }
        ApiKeysCommand::List => {
            let keys = file.load()?;
            if keys.is_empty() {
                eprintln!("no API keys in {}", file.path().display());
                return Ok(());
            }
            let used = file.last_used()?;
            println!(
                "{:<16}  {:<36}  {:<10}  {:>6}  {:<20}  {:<20}  status",
                "id", "scopes", "rate", "burst", "created", "last used"
            );
            for key in keys {
                let status = match key.revoked_at {
                    Some(at) => format!("revoked {}", time(at)),
                    None => "active".to_string(),
                };
                let last = used.get(&key.id).map_or_else(|| "never".to_string(), |t| time(*t));
                println!(
                    "{:<16}  {:<36}  {:<10}  {:>6}  {:<20}  {:<20}  {status}",
                    key.id,
                    scope_list(&key.scopes),
                    key.rate.to_string(),
                    key.burst,
                    time(key.created_at),
                    last
                );
            }
        }
        ApiKeysCommand::Revoke { id } => {
            let key = file.revoke(&id)?;
            println!("revoked {}", key.id);
        }
    }
    Ok(())
}

fn scope_list(scopes: &[Scope]) -> String {
    if scopes.is_empty() {
        return "(read only)".to_string();
    }
    scopes.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(",")
}

fn time(unix: u64) -> String {
    humantime::format_rfc3339_seconds(UNIX_EPOCH + Duration::from_secs(unix)).to_string()
}
