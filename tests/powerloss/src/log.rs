//! qemu's `blklogwrites` log (the dm-log-writes format): every write and flush the guest sent
//! to its disk, in order. Replaying it up to a FLUSH gives a state a power cut could leave.

use std::fs::File;
use std::io;
use std::os::unix::fs::FileExt;

const MAGIC: u64 = 0x006a_7366_7773_6872;
pub const FLUSH: u64 = 1;
const FUA: u64 = 2;
const DISCARD: u64 = 4;
const MARK: u64 = 8;

/// One logged request.
#[derive(Clone, Copy, Debug)]
pub struct Entry {
    /// Byte offset on the disk.
    pub disk_offset: u64,
    /// Bytes written (0 for a flush).
    pub len: u64,
    pub flags: u64,
    /// Where the data sits in the log.
    pub log_offset: u64,
}

impl Entry {
    pub fn is_flush(&self) -> bool {
        self.flags & FLUSH != 0
    }
    /// A write whose data is in the log (not a flush, discard or mark).
    pub fn is_write(&self) -> bool {
        self.len > 0 && self.flags & (DISCARD | MARK) == 0
    }
}

/// The entry count in the log's superblock (updated at each FLUSH); 0 before the first.
pub fn entries_now(log: &File) -> u64 {
    let mut sb = [0u8; 24];
    match log.read_exact_at(&mut sb, 0) {
        Ok(()) if u64::from_le_bytes(sb[..8].try_into().unwrap()) == MAGIC => {
            u64::from_le_bytes(sb[16..24].try_into().unwrap())
        }
        _ => 0,
    }
}

/// Every entry the superblock counts.
pub fn read(log: &File) -> io::Result<Vec<Entry>> {
    let mut sb = [0u8; 28];
    log.read_exact_at(&mut sb, 0)?;
    let word = |b: &[u8]| u64::from_le_bytes(b.try_into().unwrap());
    let bad = |what: String| io::Error::new(io::ErrorKind::InvalidData, what);
    if word(&sb[..8]) != MAGIC || word(&sb[8..16]) != 1 {
        return Err(bad("not a blklogwrites log (magic or version)".into()));
    }
    let count = word(&sb[16..24]);
    let sector = u64::from(u32::from_le_bytes(sb[24..28].try_into().unwrap()));
    let mut out = Vec::with_capacity(count as usize);
    let mut at = sector;
    for i in 0..count {
        let mut e = [0u8; 32];
        log.read_exact_at(&mut e, at)?;
        let (start, sectors, flags) = (word(&e[..8]), word(&e[8..16]), word(&e[16..24]));
        if flags & !(FLUSH | FUA | DISCARD | MARK) != 0 {
            return Err(bad(format!("entry {i}: flags {flags:#x}")));
        }
        let entry = Entry {
            disk_offset: start * sector,
            len: sectors * sector,
            flags,
            log_offset: at + sector,
        };
        at += sector;
        if flags & DISCARD == 0 {
            at += entry.len;
        }
        out.push(entry);
    }
    Ok(out)
}

/// Copies the data of `e` from the log onto the disk image.
pub fn apply(log: &File, image: &File, e: &Entry) -> io::Result<()> {
    let mut buf = vec![0u8; e.len as usize];
    log.read_exact_at(&mut buf, e.log_offset)?;
    image.write_all_at(&buf, e.disk_offset)
}
