//! One process per SQLite file. SQLite itself lets a second process open the file and take
//! turns at writing, but a node keeps per-process state beside it (its write queue, its outbox
//! sender, its sweeper): two node processes on one file would each think they are the only
//! writer. A node (and a restore) holds an exclusive lock on `<database>.lock` for as long as it
//! runs; the lock goes with the process, also when it is killed. PostgreSQL needs no such lock:
//! its instances share the database by design.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};

use crate::{Result, StoreError};

/// The held lock; released when dropped (or when the process ends).
#[derive(Debug)]
pub struct ProcessLock {
    _file: File,
    path: PathBuf,
}

impl ProcessLock {
    /// Take the lock of the SQLite database at `database_url`; `None` for PostgreSQL. Refused
    /// with [`StoreError::InUse`] (naming the holder's pid) while another process holds it.
    pub fn acquire(database_url: &str) -> Result<Option<ProcessLock>> {
        let Some(db) = crate::backup::sqlite_path(database_url) else {
            return Ok(None);
        };
        Self::acquire_file(&lock_path(&db)).map(Some)
    }

    fn acquire_file(path: &Path) -> Result<ProcessLock> {
        let io = |source| StoreError::Lock {
            path: path.display().to_string(),
            source,
        };
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(path)
            .map_err(io)?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                let mut holder = String::new();
                let _ = file.read_to_string(&mut holder);
                let holder = holder.trim();
                return Err(StoreError::InUse {
                    path: path.with_extension("").display().to_string(),
                    holder: if holder.is_empty() {
                        "pid unknown".into()
                    } else {
                        format!("pid {holder}")
                    },
                });
            }
            Err(TryLockError::Error(e)) => return Err(io(e)),
        }
        // the holder's pid, for the message a second process gets
        file.set_len(0).map_err(io)?;
        file.rewind().map_err(io)?;
        writeln!(file, "{}", std::process::id()).map_err(io)?;
        file.flush().map_err(io)?;
        Ok(ProcessLock {
            _file: file,
            path: path.to_owned(),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// `node.db` → `node.db.lock`.
fn lock_path(db: &Path) -> PathBuf {
    let mut name = db.file_name().unwrap_or_default().to_os_string();
    name.push(".lock");
    db.with_file_name(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_holder_of_one_sqlite_file_is_refused_until_the_first_lets_go() {
        let dir = std::env::temp_dir().join(format!("doorbraak-lock-{}", uuid::Uuid::now_v7()));
        std::fs::create_dir_all(&dir).unwrap();
        let url = format!("sqlite://{}", dir.join("node.db").display());
        let first = ProcessLock::acquire(&url).unwrap().unwrap();
        assert_eq!(first.path(), dir.join("node.db.lock"));
        // a second open file description is a second holder, as another process would be
        let err = ProcessLock::acquire(&url).unwrap_err().to_string();
        assert!(
            err.contains("another node process") && err.contains(&std::process::id().to_string()),
            "{err}"
        );
        assert!(err.contains("PostgreSQL"), "{err}");
        drop(first);
        let again = ProcessLock::acquire(&url).unwrap();
        assert!(again.is_some());
        // PostgreSQL: no lock
        assert!(
            ProcessLock::acquire("postgres://doorbraak@db/doorbraak")
                .unwrap()
                .is_none()
        );
        let _ = std::fs::remove_dir_all(dir);
    }
}
