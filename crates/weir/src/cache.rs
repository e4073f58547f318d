//! A proxy's local copy of the last configuration it installed
//! (`store.cache`), so that a `weir proxy` that starts while the store is
//! unreachable serves what it served before instead of failing to start.
//!
//! The file is one JSON header line, then the configuration as JSON:
//!
//! ```text
//! {"format":"weir-config-cache/1","revision":42,"store":"<sha256>","length":1234,"sha256":"<sha256>"}
//! {"services":[...],...}
//! ```
//!
//! `sha256` and `length` cover the body, so a truncated or altered file is
//! refused rather than half-read; `store` is a digest of the store URL
//! (without its password), so a proxy pointed at another store never serves
//! the old one's configuration. It is written to a temporary file, synced
//! and renamed over the old one on every installed revision: a crash leaves
//! the old file or the new one, never a mix. Mode 0600: the configuration
//! holds signing keys and certificate keys.
//!
//! Beside it, in the same form, a proxy that stops while the store is
//! unreachable leaves the statistics it could not write
//! ([`ConfigCache::stats_spill`]).

use std::io::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use aws_lc_rs::digest;
use serde::{Deserialize, Serialize};
use weir_core::ConfigDocument;
use weir_store::Store;

const FORMAT: &str = "weir-config-cache/1";

/// Larger files are refused unread: no configuration is that big, and
/// reading it would only cost memory.
const MAX_BYTES: u64 = 256 * 1024 * 1024;

/// Where the cache lives and which store it belongs to.
#[derive(Debug, Clone)]
pub struct ConfigCache {
    file: CheckedFile,
}

impl ConfigCache {
    pub fn new(path: PathBuf, store_url: &str) -> Self {
        Self {
            file: CheckedFile {
                path,
                // With or without a password, the same store.
                store: sha256_hex(
                    weir_store::redact_url(store_url)
                        .replace(":***@", "@")
                        .as_bytes(),
                ),
            },
        }
    }

    pub fn path(&self) -> &Path {
        &self.file.path
    }

    /// The cached revision and configuration; `Ok(None)` when there is no
    /// file. Every other problem (unreadable, truncated, altered, another
    /// store's) is an error saying which; the caller logs it and ignores
    /// the file.
    pub fn read(&self) -> anyhow::Result<Option<(i64, ConfigDocument)>> {
        let Some((revision, body)) = self.file.read(FORMAT)? else {
            return Ok(None);
        };
        let doc: ConfigDocument =
            serde_json::from_slice(&body).context("the configuration is unreadable")?;
        Ok(Some((revision, doc)))
    }

    /// Replace the cache with `doc` at `revision`, atomically.
    pub fn write(&self, revision: i64, doc: &ConfigDocument) -> anyhow::Result<()> {
        self.file.write(FORMAT, revision, &serde_json::to_vec(doc)?)
    }

    /// The file beside the cache (`NAME.stats.json` for `NAME.json`) where
    /// a proxy stopping while the store is unreachable leaves the
    /// statistics it could not write, for the next start to write (see
    /// [`crate::stats`]). Same header and checks as the cache.
    pub fn stats_spill(&self) -> CheckedFile {
        CheckedFile {
            path: self.file.path.with_extension("stats.json"),
            store: self.file.store.clone(),
        }
    }
}

/// A local file with a JSON header line that names its format, the store
/// it belongs to and its body's length and SHA-256; written atomically,
/// mode 0600.
#[derive(Debug, Clone)]
pub struct CheckedFile {
    path: PathBuf,
    /// Digest of the store URL without its password.
    store: String,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Header {
    format: String,
    /// What the body is as of: the configuration's revision (0 for a
    /// statistics spill).
    revision: i64,
    store: String,
    length: u64,
    sha256: String,
}

impl CheckedFile {
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The revision and body of a file of `format`; `Ok(None)` when there
    /// is none; an error naming the problem otherwise.
    pub fn read(&self, format: &str) -> anyhow::Result<Option<(i64, Vec<u8>)>> {
        let mut bytes = match std::fs::metadata(&self.path) {
            Ok(m) if m.len() > MAX_BYTES => bail!("{} bytes, more than a cache holds", m.len()),
            Ok(_) => std::fs::read(&self.path)?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e.into()),
        };
        let Some(end) = bytes.iter().position(|b| *b == b'\n') else {
            bail!("no header line (truncated?)");
        };
        let body = bytes.split_off(end + 1);
        let header: Header = serde_json::from_slice(&bytes[..end]).context("unreadable header")?;
        if header.format != format {
            bail!("format {:?}, expected {format:?}", header.format);
        }
        if header.store != self.store {
            bail!("written for another store (store.url differs)");
        }
        if body.len() as u64 != header.length {
            bail!(
                "body is {} bytes, the header says {} (truncated?)",
                body.len(),
                header.length
            );
        }
        if sha256_hex(&body) != header.sha256 {
            bail!("the SHA-256 of the body does not match its header (altered or corrupt)");
        }
        Ok(Some((header.revision, body)))
    }

    /// Replace the file, atomically: a temporary file beside it, synced,
    /// renamed over it, and the directory synced.
    pub fn write(&self, format: &str, revision: i64, body: &[u8]) -> anyhow::Result<()> {
        let header = Header {
            format: format.into(),
            revision,
            store: self.store.clone(),
            length: body.len() as u64,
            sha256: sha256_hex(body),
        };
        let mut text = serde_json::to_vec(&header)?;
        text.push(b'\n');
        text.extend_from_slice(body);

        let dir = match self.path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d,
            _ => Path::new("."),
        };
        let name = self
            .path
            .file_name()
            .context("the path names no file")?
            .to_string_lossy();
        let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
        let written = (|| {
            let mut file = open_private(&tmp)?;
            file.write_all(&text)?;
            file.sync_all()?;
            std::fs::rename(&tmp, &self.path)
        })();
        if let Err(e) = written {
            let _ = std::fs::remove_file(&tmp);
            return Err(e.into());
        }
        // The rename is durable once the directory is.
        if let Ok(d) = std::fs::File::open(dir) {
            let _ = d.sync_all();
        }
        Ok(())
    }

    /// Remove the file (done with it); a missing file is fine.
    pub fn remove(&self) -> std::io::Result<()> {
        match std::fs::remove_file(&self.path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
            _ => Ok(()),
        }
    }
}

/// Open the store for `weir proxy`. When it cannot be opened and `cache`
/// holds a usable configuration, start anyway: the store comes back as a
/// handle that connects when the database answers, and the cached revision
/// and configuration come with it. Otherwise the store's error, saying
/// what the cache had to offer.
pub(crate) async fn open_store(
    url: &str,
    cache: Option<&ConfigCache>,
) -> anyhow::Result<(Store, Option<(i64, ConfigDocument)>)> {
    let error = match Store::open(url).await {
        Ok(store) => return Ok((store, None)),
        Err(e) => e,
    };
    let redacted = weir_store::redact_url(url);
    let context = format!("cannot open the store {redacted}");
    let Some(cache) = cache else {
        return Err(anyhow::Error::new(error).context(context));
    };
    let path = cache.path().display().to_string();
    match cache.read() {
        Ok(Some((revision, doc))) => {
            let store = Store::open_lazy(url).context(context)?;
            tracing::warn!(
                store = %redacted,
                error = %error,
                revision,
                cache = %path,
                "the store is unreachable; serving the cached configuration until it answers"
            );
            Ok((store, Some((revision, doc))))
        }
        Ok(None) => Err(anyhow::Error::new(error).context(format!(
            "{context} (and there is no cached configuration at {path})"
        ))),
        Err(e) => {
            tracing::error!(
                cache = %path,
                error = %format!("{e:#}"),
                "the configuration cache is refused and ignored"
            );
            Err(anyhow::Error::new(error).context(format!(
                "{context} (and the cached configuration at {path} is unusable)"
            )))
        }
    }
}

fn open_private(path: &Path) -> std::io::Result<std::fs::File> {
    use std::os::unix::fs::OpenOptionsExt as _;
    std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
}

fn sha256_hex(bytes: &[u8]) -> String {
    digest::digest(&digest::SHA256, bytes)
        .as_ref()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;

    fn doc() -> ConfigDocument {
        weir_core::yaml::parse_document(
            "services: [{ name: a, match: { prefix: /a }, upstream: { nodes: [{ addr: \"127.0.0.1:9\" }] } }]",
        )
        .unwrap()
    }

    fn cache(dir: &tempfile::TempDir) -> ConfigCache {
        ConfigCache::new(
            dir.path().join("cache.json"),
            "postgres://weir:secret@db/weir",
        )
    }

    #[test]
    fn what_is_written_reads_back_and_is_private() {
        let dir = tempfile::tempdir().unwrap();
        let c = cache(&dir);
        assert!(c.read().unwrap().is_none(), "no file yet");
        c.write(7, &doc()).unwrap();
        c.write(8, &doc()).unwrap();
        let (revision, read) = c.read().unwrap().unwrap();
        assert_eq!((revision, read), (8, doc()));
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(c.path()).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        let text = std::fs::read_to_string(c.path()).unwrap();
        assert!(!text.contains("secret"), "no password in the header");
        let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(left.len(), 1, "no temporary file left behind");
    }

    #[test]
    fn a_truncated_altered_or_foreign_file_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let c = cache(&dir);
        c.write(3, &doc()).unwrap();
        let good = std::fs::read(c.path()).unwrap();

        std::fs::write(c.path(), &good[..good.len() - 5]).unwrap();
        let e = format!("{:#}", c.read().unwrap_err());
        assert!(e.contains("truncated"), "{e}");

        let mut altered = good.clone();
        let last = altered.len() - 3;
        altered[last] = if altered[last] == b'a' { b'b' } else { b'a' };
        std::fs::write(c.path(), &altered).unwrap();
        let e = format!("{:#}", c.read().unwrap_err());
        assert!(e.contains("SHA-256"), "{e}");

        std::fs::write(c.path(), b"garbage").unwrap();
        assert!(c.read().is_err());

        std::fs::write(c.path(), &good).unwrap();
        let other = ConfigCache::new(c.path().to_owned(), "postgres://weir@other/weir");
        let e = format!("{:#}", other.read().unwrap_err());
        assert!(e.contains("another store"), "{e}");
        // The same store with another password, or none, is the same store.
        for url in ["postgres://weir:new@db/weir", "postgres://weir@db/weir"] {
            let same = ConfigCache::new(c.path().to_owned(), url);
            assert!(same.read().unwrap().is_some(), "{url}");
        }
    }
}
