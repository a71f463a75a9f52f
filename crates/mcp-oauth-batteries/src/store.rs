//! Token storage: where a flow's [`PersistedState`] lives between runs.
//!
//! A [`TokenStore`] keeps one [`StoredEntry`] per [`StoreKey`] (the MCP server URL and the
//! client identity; the entry itself names the authorization server's issuer). An entry holds
//! everything a warm start needs: the tokens with their absolute expiry, the refresh token, the
//! client registration (id, secret, registered redirect URIs), the cached discovery documents,
//! and the redirect URI the client used, so that a restart listens on the registered port.
//!
//! - [`MemoryStore`]: a map in memory (tests, short-lived processes). Clones share the map.
//! - [`FileStore`]: one JSON file with a schema version, written with mode 0600 to a temporary
//!   file that is renamed over the old one (a crash leaves the old or the new file, never half
//!   of one). Entries for other keys are kept. A file that does not parse is
//!   [`StoreError::Corrupt`], never silently replaced.
//!
//! # Locking
//!
//! [`TokenStore::lock`] excludes other holders of the same key, also in other processes for
//! [`FileStore`] (an OS file lock). Adapters take it before they drive the flow, then re-read
//! the entry: if another process refreshed meanwhile, they resume from its tokens instead of
//! spending the same refresh token a second time (RFC 9700 §4.14: a rotated refresh token used
//! twice revokes the grant).
//!
//! # Security
//!
//! Entries hold live credentials as plain strings (see [`PersistedState`]). The file store
//! relies on file permissions (0600 on Unix, the directory is created 0700); use a keychain or
//! an encrypted store where that is not enough.
//!
//! ```
//! use core::time::Duration;
//! use mcp_oauth_batteries::store::{MemoryStore, StoreKey, TokenStore};
//!
//! let store = MemoryStore::new();
//! let key = StoreKey::new("https://mcp.example.com/mcp", "My Client");
//! let guard = store.lock(&key, Duration::from_secs(1))?;
//! // Only one holder at a time: a second attempt times out while `guard` lives.
//! assert!(store.lock(&key, Duration::from_millis(20)).is_err());
//! drop(guard);
//! assert!(store.lock(&key, Duration::from_millis(20)).is_ok());
//! # Ok::<(), mcp_oauth_batteries::store::StoreError>(())
//! ```

use core::fmt;
use core::time::Duration;
use std::collections::{HashMap, HashSet};
use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::time::Instant;

use mcp_oauth_core::flow::PersistedState;
use serde::{Deserialize, Serialize};

/// The schema version of the [`FileStore`] file format.
pub const FILE_STORE_VERSION: u32 = 1;

/// How often a blocked [`TokenStore::lock`] retries.
const LOCK_POLL: Duration = Duration::from_millis(10);

/// Which entry: the MCP server (protected resource) URL and the client identity (a client name,
/// a Client ID Metadata Document URL or a pre-registered client id).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct StoreKey {
    resource: String,
    client: String,
}

impl StoreKey {
    /// The key for `resource_url` used by `client`.
    #[must_use]
    pub fn new(resource_url: impl Into<String>, client: impl Into<String>) -> Self {
        Self {
            resource: resource_url.into(),
            client: client.into(),
        }
    }

    /// The MCP server URL.
    #[must_use]
    pub fn resource(&self) -> &str {
        &self.resource
    }

    /// The client identity.
    #[must_use]
    pub fn client(&self) -> &str {
        &self.client
    }

    /// A short stable name for this key (hex of a SHA-256 prefix), used for lock file names.
    fn file_tag(&self) -> String {
        use sha2::Digest as _;
        let mut h = sha2::Sha256::new();
        h.update(self.resource.as_bytes());
        h.update([0u8]);
        h.update(self.client.as_bytes());
        let digest = h.finalize();
        digest
            .iter()
            .take(8)
            .fold(String::with_capacity(16), |mut s, b| {
                use fmt::Write as _;
                let _ = write!(s, "{b:02x}");
                s
            })
    }
}

/// One stored entry: the flow's state plus what the adapter needs to restart the same way.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct StoredEntry {
    /// The flow's persisted state (tokens, registration, cached discovery). Holds secrets.
    pub state: PersistedState,
    /// The redirect URI the client registered and used (its port is reused on a warm start).
    #[serde(default)]
    pub redirect_uri: Option<String>,
}

impl StoredEntry {
    /// An entry for `state`.
    #[must_use]
    pub fn new(state: PersistedState) -> Self {
        Self {
            state,
            redirect_uri: None,
        }
    }

    /// Record the redirect URI in use.
    #[must_use]
    pub fn with_redirect_uri(mut self, redirect_uri: impl Into<String>) -> Self {
        self.redirect_uri = Some(redirect_uri.into());
        self
    }
}

/// Why a store operation failed. Holds no entry content (no secrets).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// Reading or writing the store failed.
    #[error("token store I/O failed on `{}`: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The OS error.
        source: io::Error,
    },
    /// The store file exists but is not a valid store file (nothing was overwritten).
    #[error("token store file `{}` is corrupt", path.display())]
    Corrupt {
        /// The file.
        path: PathBuf,
    },
    /// The store file was written by a newer (or unknown) schema version.
    #[error("token store file `{}` has unsupported schema version {version}", path.display())]
    UnsupportedVersion {
        /// The file.
        path: PathBuf,
        /// The version found.
        version: u64,
    },
    /// Another holder kept the entry's lock longer than the timeout.
    #[error("timed out waiting for the token store lock")]
    LockTimeout,
    /// A custom store's own failure. Implementations must keep secrets out of it.
    #[error("token store: {0}")]
    Other(Box<dyn core::error::Error + Send + Sync>),
}

/// A held [`TokenStore::lock`]: released on drop.
#[must_use = "the lock is released when this is dropped"]
pub struct StoreLock {
    _guard: Box<dyn Send>,
}

impl StoreLock {
    /// Wrap whatever releases the lock when dropped (for [`TokenStore`] implementations).
    pub fn new(guard: impl Send + 'static) -> Self {
        Self {
            _guard: Box::new(guard),
        }
    }
}

impl fmt::Debug for StoreLock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("StoreLock")
    }
}

/// Where entries live. Implementations must be safe to share between threads; they may block
/// (adapters on an async runtime call them from a blocking thread).
pub trait TokenStore: Send + Sync + fmt::Debug {
    /// The entry for `key`, if any.
    ///
    /// # Errors
    ///
    /// The store could not be read or is corrupt.
    fn load(&self, key: &StoreKey) -> Result<Option<StoredEntry>, StoreError>;

    /// Store `entry` under `key`, replacing the previous one and keeping every other entry.
    ///
    /// # Errors
    ///
    /// The entry was not stored (the previous content is unchanged).
    fn save(&self, key: &StoreKey, entry: &StoredEntry) -> Result<(), StoreError>;

    /// Remove the entry for `key` (no error when there is none).
    ///
    /// # Errors
    ///
    /// The store could not be updated.
    fn remove(&self, key: &StoreKey) -> Result<(), StoreError>;

    /// Exclude other holders of `key` (in this and, where the store is shared, other processes)
    /// until the returned guard is dropped. Waits at most `timeout`.
    ///
    /// # Errors
    ///
    /// [`StoreError::LockTimeout`], or the lock could not be taken.
    fn lock(&self, key: &StoreKey, timeout: Duration) -> Result<StoreLock, StoreError>;
}

// ------------------------------------------------------------------------------------------------
// MemoryStore
// ------------------------------------------------------------------------------------------------

#[derive(Debug, Default)]
struct KeyLocks {
    held: Mutex<HashSet<StoreKey>>,
    released: Condvar,
}

struct MemoryGuard {
    locks: Arc<KeyLocks>,
    key: StoreKey,
}

impl Drop for MemoryGuard {
    fn drop(&mut self) {
        let mut held = self
            .locks
            .held
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        held.remove(&self.key);
        self.locks.released.notify_all();
    }
}

/// An in-memory [`TokenStore`]. Clones share the entries and the locks.
#[derive(Clone, Default)]
pub struct MemoryStore {
    entries: Arc<Mutex<HashMap<StoreKey, StoredEntry>>>,
    locks: Arc<KeyLocks>,
}

impl fmt::Debug for MemoryStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self
            .entries
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .len();
        f.debug_struct("MemoryStore").field("entries", &n).finish()
    }
}

impl MemoryStore {
    /// An empty store.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }
}

impl TokenStore for MemoryStore {
    fn load(&self, key: &StoreKey) -> Result<Option<StoredEntry>, StoreError> {
        let entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        Ok(entries.get(key).cloned())
    }

    fn save(&self, key: &StoreKey, entry: &StoredEntry) -> Result<(), StoreError> {
        let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        entries.insert(key.clone(), entry.clone());
        Ok(())
    }

    fn remove(&self, key: &StoreKey) -> Result<(), StoreError> {
        let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        entries.remove(key);
        Ok(())
    }

    fn lock(&self, key: &StoreKey, timeout: Duration) -> Result<StoreLock, StoreError> {
        let deadline = Instant::now().checked_add(timeout);
        let mut held = self
            .locks
            .held
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        while held.contains(key) {
            let remaining = match deadline {
                Some(d) => d.saturating_duration_since(Instant::now()),
                None => timeout,
            };
            if remaining.is_zero() {
                return Err(StoreError::LockTimeout);
            }
            held = self
                .locks
                .released
                .wait_timeout(held, remaining)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
        held.insert(key.clone());
        Ok(StoreLock::new(MemoryGuard {
            locks: Arc::clone(&self.locks),
            key: key.clone(),
        }))
    }
}

// ------------------------------------------------------------------------------------------------
// FileStore
// ------------------------------------------------------------------------------------------------

#[derive(Serialize, Deserialize)]
struct FileEntry {
    resource: String,
    client: String,
    #[serde(flatten)]
    entry: StoredEntry,
}

#[derive(Serialize, Deserialize)]
struct FileContents {
    version: u64,
    #[serde(default)]
    entries: Vec<FileEntry>,
}

/// Just the version, read first so that a newer schema is reported as such.
#[derive(Deserialize)]
struct FileVersion {
    version: u64,
}

/// A [`TokenStore`] in one JSON file. See the [module docs](self) for the guarantees.
///
/// Besides the file itself it uses `<file>.lock` (held while the file is rewritten) and
/// `<file>.<tag>.lock` per key (held by [`TokenStore::lock`]) in the same directory. Lock files
/// are left in place: removing a lock file another process may hold is a race.
#[derive(Debug, Clone)]
pub struct FileStore {
    path: PathBuf,
}

impl FileStore {
    /// A store in the file at `path` (created on the first save, with its directory).
    #[must_use]
    pub fn new(path: impl Into<PathBuf>) -> Self {
        Self { path: path.into() }
    }

    /// The store file.
    #[must_use]
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn io(&self, path: &Path, source: io::Error) -> StoreError {
        let _ = self;
        StoreError::Io {
            path: path.to_path_buf(),
            source,
        }
    }

    fn sibling(&self, suffix: &str) -> PathBuf {
        let mut name = self
            .path
            .file_name()
            .map(std::ffi::OsStr::to_os_string)
            .unwrap_or_default();
        name.push(suffix);
        self.path.with_file_name(name)
    }

    fn ensure_dir(&self) -> Result<(), StoreError> {
        let Some(dir) = self.path.parent().filter(|d| !d.as_os_str().is_empty()) else {
            return Ok(());
        };
        if dir.is_dir() {
            return Ok(());
        }
        let mut builder = fs::DirBuilder::new();
        builder.recursive(true);
        #[cfg(unix)]
        std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
        builder.create(dir).map_err(|e| self.io(dir, e))
    }

    fn open_lock_file(&self, path: &Path) -> Result<File, StoreError> {
        self.ensure_dir()?;
        let mut options = OpenOptions::new();
        options.read(true).write(true).create(true).truncate(false);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        options.open(path).map_err(|e| self.io(path, e))
    }

    /// Take an exclusive OS lock on `path`, polling until `timeout`.
    fn lock_file(&self, path: &Path, timeout: Duration) -> Result<File, StoreError> {
        let file = self.open_lock_file(path)?;
        let start = Instant::now();
        loop {
            match file.try_lock() {
                Ok(()) => return Ok(file),
                Err(fs::TryLockError::WouldBlock) => {}
                Err(fs::TryLockError::Error(e)) => return Err(self.io(path, e)),
            }
            let elapsed = start.elapsed();
            if elapsed >= timeout {
                return Err(StoreError::LockTimeout);
            }
            std::thread::sleep(LOCK_POLL.min(timeout.saturating_sub(elapsed)));
        }
    }

    /// Read and parse the whole file; `None` when it does not exist.
    fn read(&self) -> Result<Option<FileContents>, StoreError> {
        let mut bytes = Vec::new();
        match File::open(&self.path) {
            Ok(mut f) => f
                .read_to_end(&mut bytes)
                .map_err(|e| self.io(&self.path, e))?,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(self.io(&self.path, e)),
        };
        let parsed = parse_file(&bytes, &self.path);
        bytes.fill(0);
        parsed.map(Some)
    }

    /// Write `contents` to a temporary file (0600) and rename it over the store file.
    fn write(&self, contents: &FileContents) -> Result<(), StoreError> {
        self.ensure_dir()?;
        let mut bytes = serde_json::to_vec_pretty(contents).map_err(|_| StoreError::Io {
            path: self.path.clone(),
            source: io::Error::other("could not serialise the token store"),
        })?;
        let tmp = self.sibling(&format!(".tmp-{}", std::process::id()));
        let result = self.write_tmp_and_rename(&tmp, &bytes);
        bytes.fill(0);
        if result.is_err() {
            let _ = fs::remove_file(&tmp);
        }
        result
    }

    fn write_tmp_and_rename(&self, tmp: &Path, bytes: &[u8]) -> Result<(), StoreError> {
        let mut options = OpenOptions::new();
        options.write(true).create(true).truncate(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut f = options.open(tmp).map_err(|e| self.io(tmp, e))?;
        #[cfg(unix)]
        {
            // An existing temp file keeps its mode on open; make sure.
            use std::os::unix::fs::PermissionsExt as _;
            f.set_permissions(fs::Permissions::from_mode(0o600))
                .map_err(|e| self.io(tmp, e))?;
        }
        f.write_all(bytes).map_err(|e| self.io(tmp, e))?;
        f.sync_all().map_err(|e| self.io(tmp, e))?;
        drop(f);
        fs::rename(tmp, &self.path).map_err(|e| self.io(&self.path, e))?;
        #[cfg(unix)]
        if let Some(dir) = self.path.parent().filter(|d| !d.as_os_str().is_empty())
            && let Ok(d) = File::open(dir)
        {
            // Best effort: make the rename durable.
            let _ = d.sync_all();
        }
        Ok(())
    }

    /// Read-modify-write under the file's write lock.
    fn update(&self, f: impl FnOnce(&mut Vec<FileEntry>)) -> Result<(), StoreError> {
        let lock_path = self.sibling(".lock");
        let _lock = self.lock_file(&lock_path, Duration::from_secs(10))?;
        let mut contents = self.read()?.unwrap_or(FileContents {
            version: u64::from(FILE_STORE_VERSION),
            entries: Vec::new(),
        });
        f(&mut contents.entries);
        self.write(&contents)
    }
}

fn parse_file(bytes: &[u8], path: &Path) -> Result<FileContents, StoreError> {
    let corrupt = || StoreError::Corrupt {
        path: path.to_path_buf(),
    };
    let version: FileVersion = serde_json::from_slice(bytes).map_err(|_| corrupt())?;
    if version.version != u64::from(FILE_STORE_VERSION) {
        return Err(StoreError::UnsupportedVersion {
            path: path.to_path_buf(),
            version: version.version,
        });
    }
    serde_json::from_slice(bytes).map_err(|_| corrupt())
}

impl TokenStore for FileStore {
    fn load(&self, key: &StoreKey) -> Result<Option<StoredEntry>, StoreError> {
        let Some(contents) = self.read()? else {
            return Ok(None);
        };
        Ok(contents
            .entries
            .into_iter()
            .find(|e| e.resource == key.resource && e.client == key.client)
            .map(|e| e.entry))
    }

    fn save(&self, key: &StoreKey, entry: &StoredEntry) -> Result<(), StoreError> {
        self.update(|entries| {
            let new = FileEntry {
                resource: key.resource.clone(),
                client: key.client.clone(),
                entry: entry.clone(),
            };
            match entries
                .iter_mut()
                .find(|e| e.resource == key.resource && e.client == key.client)
            {
                Some(slot) => *slot = new,
                None => entries.push(new),
            }
        })
    }

    fn remove(&self, key: &StoreKey) -> Result<(), StoreError> {
        if !self.path.exists() {
            return Ok(());
        }
        self.update(|entries| {
            entries.retain(|e| !(e.resource == key.resource && e.client == key.client));
        })
    }

    fn lock(&self, key: &StoreKey, timeout: Duration) -> Result<StoreLock, StoreError> {
        let path = self.sibling(&format!(".{}.lock", key.file_tag()));
        let file = self.lock_file(&path, timeout)?;
        Ok(StoreLock::new(file))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mcp_oauth_core::flow::{AuthFlow, ClientConfig, FlowConfig};
    use mcp_oauth_core::http::HttpResponse;
    use mcp_oauth_core::{Entropy, Timestamp};

    /// A real persisted state: the PRM step of a flow (no secrets needed for the store tests).
    fn state(resource: &str) -> PersistedState {
        let config = FlowConfig::new(
            resource,
            ClientConfig::authorization_code("Test", "http://127.0.0.1:9/cb"),
        );
        let mut flow = AuthFlow::new(config, Entropy::new([1; 32]));
        let now = Timestamp::from_unix_seconds(1_700_000_000);
        flow.handle_challenge(now, &HttpResponse::new(401, vec![], vec![]))
            .unwrap();
        let (id, _) = flow.poll_request().unwrap();
        let prm = format!(
            r#"{{"resource":"{resource}","authorization_servers":["https://as.example.com"]}}"#
        );
        flow.handle_response(
            now,
            id,
            HttpResponse::new(
                200,
                vec![("content-type".into(), b"application/json".to_vec())],
                prm.into_bytes(),
            ),
        );
        flow.persisted_state().unwrap()
    }

    #[test]
    fn memory_store_round_trip_and_remove() {
        let store = MemoryStore::new();
        let key = StoreKey::new("https://a.example/mcp", "c");
        let entry = StoredEntry::new(state("https://a.example/mcp")).with_redirect_uri("x");
        store.save(&key, &entry).unwrap();
        assert_eq!(store.clone().load(&key).unwrap(), Some(entry));
        store.remove(&key).unwrap();
        assert_eq!(store.load(&key).unwrap(), None);
    }

    #[test]
    fn memory_lock_waits_for_release() {
        let store = MemoryStore::new();
        let key = StoreKey::new("r", "c");
        let guard = store.lock(&key, Duration::from_secs(1)).unwrap();
        let other = store.clone();
        let k2 = key.clone();
        let t = std::thread::spawn(move || other.lock(&k2, Duration::from_secs(5)).is_ok());
        std::thread::sleep(Duration::from_millis(30));
        drop(guard);
        assert!(t.join().unwrap());
        // A different key is never blocked.
        let _a = store.lock(&key, Duration::from_secs(1)).unwrap();
        let _b = store
            .lock(&StoreKey::new("r", "d"), Duration::from_millis(1))
            .unwrap();
    }

    #[test]
    fn file_store_round_trip_keeps_other_entries() {
        let dir = tempfile::tempdir().unwrap();
        let store = FileStore::new(dir.path().join("sub/tokens.json"));
        let a = StoreKey::new("https://a.example/mcp", "c");
        let b = StoreKey::new("https://b.example/mcp", "c");
        let ea = StoredEntry::new(state("https://a.example/mcp"));
        let eb = StoredEntry::new(state("https://b.example/mcp")).with_redirect_uri("u");
        store.save(&a, &ea).unwrap();
        store.save(&b, &eb).unwrap();
        store
            .save(&a, &ea.clone().with_redirect_uri("new"))
            .unwrap();
        let reopened = FileStore::new(store.path());
        assert_eq!(reopened.load(&b).unwrap(), Some(eb.clone()));
        assert_eq!(
            reopened.load(&a).unwrap().unwrap().redirect_uri.as_deref(),
            Some("new")
        );
        reopened.remove(&a).unwrap();
        assert_eq!(reopened.load(&a).unwrap(), None);
        assert_eq!(reopened.load(&b).unwrap(), Some(eb));
    }

    #[cfg(unix)]
    #[test]
    fn file_store_mode_0600_and_dir_0700() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("new-dir/tokens.json");
        let store = FileStore::new(&path);
        let key = StoreKey::new("https://a.example/mcp", "c");
        store
            .save(&key, &StoredEntry::new(state("https://a.example/mcp")))
            .unwrap();
        let mode = fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        let dmode = fs::metadata(path.parent().unwrap())
            .unwrap()
            .permissions()
            .mode()
            & 0o777;
        assert_eq!(dmode, 0o700);
        // An existing file with looser permissions is replaced by a 0600 one.
        fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).unwrap();
        store
            .save(&key, &StoredEntry::new(state("https://a.example/mcp")))
            .unwrap();
        let mode = fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }

    #[test]
    fn file_store_replaces_atomically_no_temp_left() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("tokens.json");
        let store = FileStore::new(&path);
        let key = StoreKey::new("https://a.example/mcp", "c");
        for i in 0..3 {
            let e =
                StoredEntry::new(state("https://a.example/mcp")).with_redirect_uri(i.to_string());
            store.save(&key, &e).unwrap();
        }
        let names: Vec<String> = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| !n.ends_with(".lock"))
            .collect();
        assert_eq!(names, vec!["tokens.json".to_string()]);
        // The file is one complete JSON document with the schema version.
        let v: serde_json::Value = serde_json::from_slice(&fs::read(&path).unwrap()).unwrap();
        assert_eq!(v["version"], 1);
        assert_eq!(v["entries"].as_array().unwrap().len(), 1);
    }

    #[test]
    fn corrupt_file_is_a_typed_error_and_is_not_overwritten() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("tokens.json");
        fs::write(&path, b"{\"version\":1,\"entries\":[{\"resou").unwrap();
        let store = FileStore::new(&path);
        let key = StoreKey::new("https://a.example/mcp", "c");
        assert!(matches!(store.load(&key), Err(StoreError::Corrupt { .. })));
        let e = StoredEntry::new(state("https://a.example/mcp"));
        assert!(matches!(
            store.save(&key, &e),
            Err(StoreError::Corrupt { .. })
        ));
        assert_eq!(
            fs::read(&path).unwrap(),
            b"{\"version\":1,\"entries\":[{\"resou"
        );
        fs::write(&path, b"\xff\x00garbage").unwrap();
        assert!(matches!(store.load(&key), Err(StoreError::Corrupt { .. })));
        fs::write(&path, br#"{"version":99,"entries":[]}"#).unwrap();
        assert!(matches!(
            store.load(&key),
            Err(StoreError::UnsupportedVersion { version: 99, .. })
        ));
    }

    #[test]
    fn file_lock_excludes_other_handles_until_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let store = FileStore::new(dir.path().join("tokens.json"));
        let key = StoreKey::new("https://a.example/mcp", "c");
        let guard = store.lock(&key, Duration::from_secs(1)).unwrap();
        // A second store on the same file (as another process would open it) is excluded.
        let other = FileStore::new(store.path());
        assert!(matches!(
            other.lock(&key, Duration::from_millis(30)),
            Err(StoreError::LockTimeout)
        ));
        // Another key is independent, and saving is not blocked by the key lock.
        let _g2 = other
            .lock(
                &StoreKey::new("https://b.example/mcp", "c"),
                Duration::from_millis(30),
            )
            .unwrap();
        other
            .save(&key, &StoredEntry::new(state("https://a.example/mcp")))
            .unwrap();
        drop(guard);
        assert!(other.lock(&key, Duration::from_millis(30)).is_ok());
    }

    #[test]
    fn concurrent_writers_never_drop_entries() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("tokens.json");
        let handles: Vec<_> = (0..8)
            .map(|i| {
                let store = FileStore::new(&path);
                std::thread::spawn(move || {
                    let r = format!("https://s{i}.example/mcp");
                    store
                        .save(&StoreKey::new(r.clone(), "c"), &StoredEntry::new(state(&r)))
                        .unwrap();
                })
            })
            .collect();
        for h in handles {
            h.join().unwrap();
        }
        let store = FileStore::new(&path);
        for i in 0..8 {
            let r = format!("https://s{i}.example/mcp");
            assert!(store.load(&StoreKey::new(r, "c")).unwrap().is_some());
        }
    }

    #[test]
    fn errors_hold_no_secrets() {
        let e = StoreError::Corrupt {
            path: PathBuf::from("/x/tokens.json"),
        };
        assert_eq!(
            e.to_string(),
            "token store file `/x/tokens.json` is corrupt"
        );
    }
}
