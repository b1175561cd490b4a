//! Windows: byte locks with `LockFileEx`, positioned I/O, file identity by volume serial and
//! file index, polling wakeups, named pagefile-backed sections for named maps, and new files
//! made under a hidden name and then renamed or linked into place. (Unnamed anonymous maps
//! are memmap2's pagefile-backed ones.)
//!
//! **Locks.** `LockFileEx` locks belong to the open file (a handle and its duplicates), conflict
//! between two opens even inside one process, and go when the file is closed or the process
//! ends — the semantics of Linux's open-file locks, so `map/lock.rs` needs no table here. They
//! are *mandatory* for I/O: a locked range refuses `ReadFile`/`WriteFile` from every other
//! handle (mapped views ignore them). recmap's locks sit on bytes near `i64::MAX`, past any
//! data, so no read or write of recmap's ever meets one. Windows has no call that asks who
//! holds a lock; [`byte_lock_held`] takes and drops a probe lock, as SQLite's
//! `winCheckReservedLock` does, so a lock attempt that meets a probe is retried for up to 1 ms
//! before it counts as refused.

use std::fs::File;
use std::io;
use std::os::windows::fs::{FileExt, OpenOptionsExt};
use std::os::windows::io::AsRawHandle;
use std::path::{Path, PathBuf};
use std::time::Duration;

use windows_sys::Win32::Foundation::{
    CloseHandle, ERROR_IO_PENDING, ERROR_LOCK_VIOLATION, ERROR_NOT_LOCKED, HANDLE,
    INVALID_HANDLE_VALUE, STILL_ACTIVE,
};
use windows_sys::Win32::Storage::FileSystem::{
    BY_HANDLE_FILE_INFORMATION, FILE_FLAG_BACKUP_SEMANTICS, FILE_READ_ATTRIBUTES,
    GetFileInformationByHandle, LOCKFILE_EXCLUSIVE_LOCK, LOCKFILE_FAIL_IMMEDIATELY, LockFileEx,
    UnlockFileEx,
};
use windows_sys::Win32::System::IO::OVERLAPPED;
use windows_sys::Win32::System::Memory::{
    CreateFileMappingW, FILE_MAP_ALL_ACCESS, MEMORY_MAPPED_VIEW_ADDRESS, MapViewOfFile,
    PAGE_READWRITE, UnmapViewOfFile,
};
use windows_sys::Win32::System::SystemInformation::{GetSystemInfo, SYSTEM_INFO};
use windows_sys::Win32::System::Threading::{
    GetExitCodeProcess, OpenProcess, PROCESS_QUERY_LIMITED_INFORMATION,
};

fn system_info() -> SYSTEM_INFO {
    // SAFETY: `SYSTEM_INFO` is a plain C struct for which all-zero is valid; `GetSystemInfo`
    // only fills it in and cannot fail.
    unsafe {
        let mut info: SYSTEM_INFO = std::mem::zeroed();
        GetSystemInfo(&mut info);
        info
    }
}

/// The size of a virtual-memory page in bytes (Python's `mmap.PAGESIZE`).
///
/// # Examples
///
/// ```
/// let p = recmap::page_size();
/// assert!(p.is_power_of_two());
/// ```
pub fn page_size() -> usize {
    system_info().dwPageSize as usize
}

/// The granularity of mapping offsets in bytes (Python's `mmap.ALLOCATIONGRANULARITY`): 64 KiB
/// on Windows.
///
/// recmap accepts any offset ([`MapOptions::offset`](crate::MapOptions::offset)); this is
/// here for callers who want to lay out files on mapping boundaries.
///
/// # Examples
///
/// ```
/// assert_eq!(recmap::allocation_granularity() % recmap::page_size(), 0);
/// ```
pub fn allocation_granularity() -> usize {
    system_info().dwAllocationGranularity as usize
}

/// Writes all of `buf` at byte `offset` of `file` (`WriteFile` at an offset).
pub(crate) fn write_all_at(file: &File, mut buf: &[u8], mut offset: u64) -> io::Result<()> {
    while !buf.is_empty() {
        match file.seek_write(buf, offset) {
            Ok(0) => return Err(io::Error::from(io::ErrorKind::WriteZero)),
            Ok(n) => {
                buf = &buf[n..];
                offset += n as u64;
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// Extends `file` from `from` to `to` bytes by writing zeros: a full disk is an error here,
/// never an in-page error at a later store through a map.
pub(crate) fn write_zeros(file: &File, from: u64, to: u64) -> io::Result<()> {
    static ZEROS: [u8; 1 << 18] = [0; 1 << 18];
    let mut at = from;
    while at < to {
        let n = usize::try_from(to - at).map_or(ZEROS.len(), |n| n.min(ZEROS.len()));
        write_all_at(file, &ZEROS[..n], at)?;
        at += n as u64;
    }
    Ok(())
}

/// Real space for `from..to`: written zeros, as on macOS.
pub(crate) fn allocate(file: &File, from: u64, to: u64) -> io::Result<()> {
    write_zeros(file, from, to)
}

/// There is no `fork` on Windows: the generation never changes.
pub(crate) fn fork_generation() -> u64 {
    0
}

/// An open file of recmap's; on Windows an ordinary `File` (closing a handle releases only
/// that handle's locks).
#[derive(Debug)]
pub(crate) struct OpenFile(File);

impl From<File> for OpenFile {
    fn from(file: File) -> OpenFile {
        OpenFile(file)
    }
}

impl std::ops::Deref for OpenFile {
    type Target = File;
    fn deref(&self) -> &File {
        &self.0
    }
}

/// Opens the existing file at `path` for reading (and writing if `write`), sharing read,
/// write and delete with other handles (std's default), so that a table can be renamed over
/// while readers hold it.
pub(crate) fn open(path: &Path, write: bool) -> io::Result<OpenFile> {
    std::fs::OpenOptions::new()
        .read(true)
        .write(write)
        .open(path)
        .map(OpenFile)
}

fn overlapped_at(byte: i64) -> OVERLAPPED {
    // SAFETY: `OVERLAPPED` is a plain C struct (with a union of integers and a pointer) for
    // which all-zero is valid.
    let mut ov: OVERLAPPED = unsafe { std::mem::zeroed() };
    ov.Anonymous.Anonymous.Offset = byte as u32;
    ov.Anonymous.Anonymous.OffsetHigh = (byte >> 32) as u32;
    ov
}

/// One `LockFileEx` (or, with `exclusive: None`, `UnlockFileEx`) of the byte at `byte`.
fn lock_once(file: &File, byte: i64, exclusive: Option<bool>, wait: bool) -> io::Result<bool> {
    let handle = file.as_raw_handle();
    let mut ov = overlapped_at(byte);
    let Some(exclusive) = exclusive else {
        // SAFETY: the handle is `file`'s, open for the call; `ov` lives across it and names
        // the one byte to unlock.
        let ok = unsafe { UnlockFileEx(handle, 0, 1, 0, &mut ov) };
        if ok != 0 {
            return Ok(true);
        }
        let err = io::Error::last_os_error();
        // Not locked by this handle: nothing to release, as with `F_UNLCK`.
        return match err.raw_os_error() {
            Some(code) if code as u32 == ERROR_NOT_LOCKED => Ok(true),
            _ => Err(err),
        };
    };
    let mut flags = 0;
    if exclusive {
        flags |= LOCKFILE_EXCLUSIVE_LOCK;
    }
    if !wait {
        flags |= LOCKFILE_FAIL_IMMEDIATELY;
    }
    // SAFETY: as above; the handle is synchronous (std never opens with
    // FILE_FLAG_OVERLAPPED), so a waiting lock returns only once it is granted.
    let ok = unsafe { LockFileEx(handle, flags, 0, 1, 0, &mut ov) };
    if ok != 0 {
        return Ok(true);
    }
    let err = io::Error::last_os_error();
    match err.raw_os_error() {
        Some(code) if code as u32 == ERROR_LOCK_VIOLATION || code as u32 == ERROR_IO_PENDING => {
            Ok(false)
        }
        _ => Err(err),
    }
}

/// Takes (or, with `exclusive: None`, releases) a lock on the one byte at `byte` for the
/// open `file`: `Ok(false)` if another open holds a conflicting one and `wait` is off (after
/// retrying for up to 1 ms, in case what refused it was another process's probe; see the
/// module's docs). recmap never takes a byte its open already holds (Windows would stack the
/// two).
pub(crate) fn byte_lock(
    file: &File,
    byte: i64,
    exclusive: Option<bool>,
    wait: bool,
) -> io::Result<bool> {
    if exclusive.is_none() || wait {
        return lock_once(file, byte, exclusive, wait);
    }
    for _ in 0..10 {
        if lock_once(file, byte, exclusive, false)? {
            return Ok(true);
        }
        std::thread::sleep(Duration::from_micros(100));
    }
    lock_once(file, byte, exclusive, false)
}

/// The lock another open holds on the byte at `byte`: `Some(true)` exclusive, `Some(false)`
/// shared. Windows cannot be asked, so this probes: an exclusive lock that is granted means
/// nobody holds the byte; else a shared one that is granted means readers hold it. Each probe
/// is released at once. The caller's own open must not hold the byte (recmap never asks
/// about a byte it holds).
pub(crate) fn byte_lock_held(file: &File, byte: i64) -> io::Result<Option<bool>> {
    if lock_once(file, byte, Some(true), false)? {
        lock_once(file, byte, None, false)?;
        return Ok(None);
    }
    if lock_once(file, byte, Some(false), false)? {
        lock_once(file, byte, None, false)?;
        return Ok(Some(false));
    }
    Ok(Some(true))
}

/// Sleeps for `timeout`, or 1 ms if that is shorter: `WaitOnAddress` wakes only threads of
/// one process, so followers in other processes poll. The caller re-reads the value after
/// every return.
///
/// # Safety
///
/// None needed here; `unsafe` to match the futex-based Linux version.
pub(crate) unsafe fn futex_wait(_ptr: *const u8, _expected: [u8; 4], timeout: Duration) {
    std::thread::sleep(timeout.min(Duration::from_millis(1)));
}

/// Nothing to do: pollers see the change within their next poll.
///
/// # Safety
///
/// None needed here; `unsafe` to match the futex-based Linux version.
pub(crate) unsafe fn futex_wake(_ptr: *const u8) {}

/// A view of a named, pagefile-backed section (`CreateFileMappingW(INVALID_HANDLE_VALUE, …,
/// name)`): Python's `mmap(-1, len, tagname=name)`. Opening a name that exists maps the same
/// memory; the section lives while any process has a view of it.
pub(crate) struct SectionView {
    ptr: *mut u8,
    len: usize,
    /// The section's handle, kept as long as the view (as CPython keeps it): wine drops a
    /// section's name with its last handle, even while views remain.
    section: HANDLE,
}

// SAFETY: the view is plain memory, and the handle a kernel handle, owned by this value until
// `Drop`; moving or sharing the owner between threads changes nothing about them (access goes
// through `&`/`&mut`; handles may be closed from any thread).
unsafe impl Send for SectionView {}
// SAFETY: as above: `&SectionView` gives only `&[u8]`.
unsafe impl Sync for SectionView {}

impl SectionView {
    /// Opens the section `tag` (creating it, `len` zero bytes, if absent) and maps its first
    /// `len` bytes for reading and writing. An existing section shorter than `len` is an error.
    pub(crate) fn open(tag: &str, len: usize) -> io::Result<SectionView> {
        if tag.is_empty() || tag.contains('\0') {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "a section name is not empty and has no NUL",
            ));
        }
        let name: Vec<u16> = tag.encode_utf16().chain(Some(0)).collect();
        // A section cannot be empty; a zero-length map still names (and keeps) one byte.
        let size = len.max(1) as u64;
        // SAFETY: `name` is NUL-terminated UTF-16 that outlives the call; a null security
        // descriptor means the default; INVALID_HANDLE_VALUE asks for pagefile backing.
        let section = unsafe {
            CreateFileMappingW(
                INVALID_HANDLE_VALUE,
                std::ptr::null(),
                PAGE_READWRITE,
                (size >> 32) as u32,
                size as u32,
                name.as_ptr(),
            )
        };
        if section.is_null() {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: `section` is a valid section handle; the view is at most its size or the
        // call fails.
        let view = unsafe { MapViewOfFile(section, FILE_MAP_ALL_ACCESS, 0, 0, len.max(1)) };
        if view.Value.is_null() {
            let err = io::Error::last_os_error();
            // SAFETY: `section` is a handle this function owns and closes once.
            unsafe { CloseHandle(section) };
            return Err(err);
        }
        Ok(SectionView {
            ptr: view.Value.cast(),
            len,
            section,
        })
    }

    pub(crate) fn as_ptr(&self) -> *const u8 {
        self.ptr
    }

    pub(crate) fn len(&self) -> usize {
        self.len
    }

    pub(crate) fn bytes(&self) -> &[u8] {
        // SAFETY: `ptr` starts a mapped, readable and writable view of at least `len` bytes
        // that lives until `drop`; the caller of `Map::named` promised no unsynchronized
        // writer in another process while this borrow lives.
        unsafe { std::slice::from_raw_parts(self.ptr, self.len) }
    }

    pub(crate) fn bytes_mut(&mut self) -> &mut [u8] {
        // SAFETY: as in `bytes`; `&mut self` makes the borrow unique in this process.
        unsafe { std::slice::from_raw_parts_mut(self.ptr, self.len) }
    }
}

impl Drop for SectionView {
    fn drop(&mut self) {
        // SAFETY: `ptr` is the base of a view this value mapped and nothing else unmaps; no
        // borrow of it outlives `self`. `section` is a handle this value owns and closes once.
        unsafe {
            UnmapViewOfFile(MEMORY_MAPPED_VIEW_ADDRESS {
                Value: self.ptr.cast(),
            });
            CloseHandle(self.section);
        }
    }
}

fn handle_info(file: &File) -> io::Result<BY_HANDLE_FILE_INFORMATION> {
    // SAFETY: the struct is plain C data for which all-zero is valid; the call only fills
    // it in, through a handle that `file` keeps open.
    unsafe {
        let mut info: BY_HANDLE_FILE_INFORMATION = std::mem::zeroed();
        if GetFileInformationByHandle(file.as_raw_handle(), &mut info) == 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(info)
    }
}

/// The identity of an open file: its volume's serial number and its file index.
pub(crate) fn file_id(file: &File) -> io::Result<(u64, u64)> {
    let info = handle_info(file)?;
    let index = (u64::from(info.nFileIndexHigh) << 32) | u64::from(info.nFileIndexLow);
    Ok((u64::from(info.dwVolumeSerialNumber), index))
}

/// The identity of the file `path` names now, from a handle that may only read attributes
/// (so it opens whatever the sharing modes of other handles).
pub(crate) fn path_id(path: &Path) -> io::Result<(u64, u64)> {
    let file = std::fs::OpenOptions::new()
        .access_mode(FILE_READ_ATTRIBUTES)
        .custom_flags(FILE_FLAG_BACKUP_SEMANTICS)
        .open(path)?;
    file_id(&file)
}

/// How many names (hard links) the open file has.
pub(crate) fn link_count(file: &File) -> io::Result<u64> {
    Ok(u64::from(handle_info(file)?.nNumberOfLinks))
}

/// Windows has no call that makes one directory entry durable (`FlushFileBuffers` takes
/// files and volumes; NTFS journals the rename itself and commits it with its log), so this
/// does nothing: after `sync`, a machine crash keeps the file's data; its *name* is as
/// durable as NTFS's log makes it.
pub(crate) fn sync_dir(_dir: &Path) -> io::Result<()> {
    Ok(())
}

/// A new file under a hidden temporary name, removed again if it is dropped before
/// [`NewFile::link`] gives it its real name, so that no other process can open it by the final
/// name until it is complete.
pub(crate) struct NewFile {
    pub(crate) file: OpenFile,
    temp_name: Option<PathBuf>,
}

impl NewFile {
    /// Makes the file in `dir`, readable and writable.
    pub(crate) fn in_dir(dir: &Path) -> io::Result<NewFile> {
        let dir = if dir.as_os_str().is_empty() {
            Path::new(".")
        } else {
            dir
        };
        sweep_stale_new_files(dir);
        let mut options = std::fs::OpenOptions::new();
        options.read(true).write(true).create_new(true);
        let (file, name) = super::create_unique(dir, ".recmap-new-", &options)?;
        Ok(NewFile {
            file: OpenFile(file),
            temp_name: Some(name),
        })
    }

    /// Gives the file the name `path`: only if `path` does not exist (`AlreadyExists`
    /// otherwise; `CreateHardLinkW` refuses an existing name), or, with `replace`, over
    /// whatever `path` names (`MoveFileExW` with `MOVEFILE_REPLACE_EXISTING`).
    pub(crate) fn link(&mut self, path: &Path, replace: bool) -> io::Result<()> {
        let Some(temp) = self.temp_name.take() else {
            return Err(io::Error::from(io::ErrorKind::AlreadyExists));
        };
        if replace {
            return std::fs::rename(&temp, path).inspect_err(|_| self.temp_name = Some(temp));
        }
        let res = std::fs::hard_link(&temp, path);
        let _ = std::fs::remove_file(&temp);
        res
    }
}

impl Drop for NewFile {
    fn drop(&mut self) {
        if let Some(name) = self.temp_name.take() {
            let _ = std::fs::remove_file(name);
        }
    }
}

/// Whether process `pid` is still running.
fn process_alive(pid: u32) -> bool {
    // SAFETY: `OpenProcess` returns a handle we own (closed below) or null; the exit-code
    // query only writes into `code`.
    unsafe {
        let handle = OpenProcess(PROCESS_QUERY_LIMITED_INFORMATION, 0, pid);
        if handle.is_null() {
            return false;
        }
        let mut code = 0u32;
        let alive = GetExitCodeProcess(handle, &mut code) != 0 && code == STILL_ACTIVE as u32;
        CloseHandle(handle);
        alive
    }
}

/// Removes hidden `.recmap-new-{pid}-…` files in `dir` that a killed process left: its
/// process no longer runs and the file is over a minute old.
fn sweep_stale_new_files(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(rest) = name.to_str().and_then(|n| n.strip_prefix(".recmap-new-")) else {
            continue;
        };
        let Some(pid) = rest.split('-').next().and_then(|p| p.parse::<u32>().ok()) else {
            continue;
        };
        if pid == std::process::id() || process_alive(pid) {
            continue;
        }
        let old = entry
            .metadata()
            .and_then(|m| m.modified())
            .is_ok_and(|t| t.elapsed().is_ok_and(|age| age > Duration::from_secs(60)));
        if old {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}
