//! [`DateTime64`] and [`TimeDelta64`]: numpy's `datetime64` (`<M8[ns]`) and `timedelta64`
//! (`<m8[us]`), with the unit in the type.

use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::marker::PhantomData;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};

use super::unit::Unit;
use crate::dtype::{ByteOrder, Dtype, ScalarKind, TimeUnit};
use crate::record::Record;

/// numpy's NaT ("not a time"): the smallest `i64`.
const NAT: i64 = i64::MIN;

const NANOS_PER_SEC: i128 = 1_000_000_000;

/// numpy's `datetime64[unit]` (`<M8[ns]`, `<M8[us]`, …, `<M8[D]`): a signed count of `U`s since
/// 1970-01-01T00:00:00 UTC, or NaT (`i64::MIN`).
///
/// Conversions to and from [`SystemTime`] are checked; from a time finer than the unit they
/// round down (toward the past), as numpy's `astype` does. [`Display`](fmt::Display) prints
/// what numpy's `str()` does (`2023-11-14T22:13:20.123456789`, `NaT`); `Debug` the same.
/// Values are ordered as `np.sort` orders them: by time, NaT last; unlike numpy's `==`,
/// NaT equals NaT (Rust's `Eq` must be reflexive).
///
/// # Examples
///
/// ```
/// use std::time::{Duration, UNIX_EPOCH};
/// use recmap::{DateTime64, Record, unit::{Ms, Ns}};
///
/// let t = DateTime64::<Ns>::new(1_700_000_000_123_456_789);
/// assert_eq!(t.to_string(), "2023-11-14T22:13:20.123456789");
/// assert_eq!(t.to_system_time()?, UNIX_EPOCH + Duration::new(1_700_000_000, 123_456_789));
/// let ms = DateTime64::<Ms>::from_system_time(t.to_system_time()?)?;
/// assert_eq!((ms.count(), ms.to_string().as_str()), (1_700_000_000_123, "2023-11-14T22:13:20.123"));
/// assert!(DateTime64::<Ns>::NAT.is_nat());
/// assert!(DateTime64::<Ns>::NAT.to_system_time().is_err());
/// assert_eq!(<DateTime64<Ns>>::DTYPE.descr(), "'<M8[ns]'");
/// # Ok::<(), recmap::types::TimeError>(())
/// ```
#[derive(FromBytes, IntoBytes, Immutable, KnownLayout)]
#[repr(transparent)]
pub struct DateTime64<U: Unit> {
    count: i64,
    unit: PhantomData<U>,
}

/// numpy's `timedelta64[unit]` (`<m8[us]`, …): a signed count of `U`s, or NaT (`i64::MIN`).
///
/// Conversions to and from [`Duration`] are checked (a `Duration` is never negative); from a
/// duration finer than the unit they round down, as numpy's `astype` does.
/// [`Display`](fmt::Display) prints what numpy's `str()` does (`5 microseconds`, `NaT`).
/// Ordered by length, NaT last, as `np.sort` orders them; NaT equals NaT.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use recmap::{Record, TimeDelta64, unit::{Secs, Us}};
///
/// let d = TimeDelta64::<Us>::from_duration(Duration::from_nanos(1_500_999))?;
/// assert_eq!((d.count(), d.to_string().as_str()), (1_500, "1500 microseconds"));
/// assert_eq!(d.to_duration()?, Duration::from_micros(1_500));
/// assert!(TimeDelta64::<Secs>::new(-1).to_duration().is_err()); // negative
/// assert_eq!(<TimeDelta64<Us>>::DTYPE.descr(), "'<m8[us]'");
/// # Ok::<(), recmap::types::TimeError>(())
/// ```
#[derive(FromBytes, IntoBytes, Immutable, KnownLayout)]
#[repr(transparent)]
pub struct TimeDelta64<U: Unit> {
    count: i64,
    unit: PhantomData<U>,
}

/// Why a [`DateTime64`] or [`TimeDelta64`] conversion failed.
///
/// ```
/// use recmap::{DateTime64, types::TimeError, unit::Days};
/// assert_eq!(DateTime64::<Days>::NAT.to_system_time(), Err(TimeError::NaT));
/// assert_eq!(
///     DateTime64::<Days>::new(i64::MAX).to_system_time(),
///     Err(TimeError::OutOfRange { count: i64::MAX, unit: recmap::TimeUnit::Day })
/// );
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TimeError {
    /// The value is NaT, which no `SystemTime` or `Duration` stands for.
    #[error("NaT (not a time) has no SystemTime or Duration")]
    NaT,
    /// The value (as a count of `unit`s, rounded down) does not fit the target type: a
    /// `datetime64`/`timedelta64` holds ±(2^63 − 1) units; a `SystemTime` what the system
    /// allows; a `Duration` at most 2^64 − 1 seconds.
    #[error("{count} {} is out of range", unit_name(*unit))]
    OutOfRange {
        /// The count, saturated to `i64`.
        count: i64,
        /// Its unit.
        unit: TimeUnit,
    },
    /// A negative timedelta has no `Duration`.
    #[error("{count} {} is negative: a Duration cannot be", unit_name(*unit))]
    Negative {
        /// The count.
        count: i64,
        /// Its unit.
        unit: TimeUnit,
    },
}

/// numpy's plural name of a unit, as `str(np.timedelta64(5, 'us'))` prints it.
fn unit_name(unit: TimeUnit) -> &'static str {
    match unit {
        TimeUnit::Day => "days",
        TimeUnit::Hour => "hours",
        TimeUnit::Minute => "minutes",
        TimeUnit::Second => "seconds",
        TimeUnit::Millisecond => "milliseconds",
        TimeUnit::Microsecond => "microseconds",
        TimeUnit::Nanosecond => "nanoseconds",
    }
}

/// `nanos` (signed, since the epoch or in length) as a count of `unit`s, rounded down.
fn count_of(nanos: i128, unit: TimeUnit) -> Result<i64, TimeError> {
    let count = nanos.div_euclid(i128::from(unit.nanos()));
    match i64::try_from(count) {
        Ok(n) if n != NAT => Ok(n),
        _ => Err(TimeError::OutOfRange {
            count: if count < 0 { i64::MIN } else { i64::MAX },
            unit,
        }),
    }
}

/// A non-negative count of nanoseconds as a `Duration`, if it fits.
fn duration_of(nanos: i128) -> Option<Duration> {
    let secs = u64::try_from(nanos / NANOS_PER_SEC).ok()?;
    // The remainder of a non-negative number by 10^9 fits in u32.
    let sub = u32::try_from(nanos % NANOS_PER_SEC).ok()?;
    Some(Duration::new(secs, sub))
}

/// Both types are an `i64` count and a unit: the same trait implementations.
macro_rules! time_type {
    ($ty:ident, $kind:ident) => {
        impl<U: Unit> $ty<U> {
            /// NaT, "not a time": numpy's `np.datetime64('NaT')` / `np.timedelta64('NaT')`,
            /// stored as `i64::MIN`.
            ///
            #[doc = concat!("```\nuse recmap::", stringify!($ty), ";\nuse recmap::unit::Ns;")]
            #[doc = concat!("let nat = ", stringify!($ty), "::<Ns>::NAT;")]
            #[doc = "assert!(nat.is_nat() && nat.count() == i64::MIN);\n```"]
            pub const NAT: $ty<U> = $ty::new(NAT);

            /// The value that is `count` units (`i64::MIN` is NaT).
            ///
            #[doc = concat!("```\nuse recmap::", stringify!($ty), ";\nuse recmap::unit::Ms;")]
            #[doc = concat!("let v = ", stringify!($ty), "::<Ms>::new(1500);")]
            #[doc = "assert_eq!((v.count(), v.is_nat()), (1500, false));\n```"]
            pub const fn new(count: i64) -> $ty<U> {
                $ty {
                    count,
                    unit: PhantomData,
                }
            }

            /// The count of units, as stored (numpy's `.astype(np.int64)`); `i64::MIN` for
            /// NaT.
            ///
            #[doc = concat!("```\nuse recmap::", stringify!($ty), ";\nuse recmap::unit::Days;")]
            #[doc = concat!("assert_eq!(", stringify!($ty), "::<Days>::new(-3).count(), -3);\n```")]
            pub const fn count(self) -> i64 {
                self.count
            }

            /// Whether this is NaT (numpy's `np.isnat`).
            ///
            #[doc = concat!("```\nuse recmap::", stringify!($ty), ";\nuse recmap::unit::Us;")]
            #[doc = concat!("assert!(", stringify!($ty), "::<Us>::new(i64::MIN).is_nat());")]
            #[doc = concat!("assert!(!", stringify!($ty), "::<Us>::new(0).is_nat());\n```")]
            pub const fn is_nat(self) -> bool {
                self.count == NAT
            }

            /// The unit, as a value.
            ///
            #[doc = concat!("```\nuse recmap::", stringify!($ty), ";\nuse recmap::TimeUnit;\nuse recmap::unit::Hours;")]
            #[doc = concat!("assert_eq!(", stringify!($ty), "::<Hours>::new(1).unit(), TimeUnit::Hour);\n```")]
            pub const fn unit(self) -> TimeUnit {
                U::UNIT
            }

            /// The length or offset in nanoseconds; `None` for NaT.
            fn nanos(self) -> Option<i128> {
                (!self.is_nat()).then(|| i128::from(self.count) * i128::from(U::UNIT.nanos()))
            }
        }

        impl<U: Unit> Record for $ty<U> {
            const DTYPE: Dtype = Dtype::Scalar {
                kind: ScalarKind::$kind(U::UNIT),
                size: 8,
                order: ByteOrder::NATIVE,
            };
        }

        impl<U: Unit> Clone for $ty<U> {
            fn clone(&self) -> $ty<U> {
                *self
            }
        }

        impl<U: Unit> Copy for $ty<U> {}

        impl<U: Unit> Default for $ty<U> {
            /// Zero: the epoch, or no time.
            fn default() -> $ty<U> {
                $ty::new(0)
            }
        }

        impl<U: Unit> PartialEq for $ty<U> {
            fn eq(&self, other: &$ty<U>) -> bool {
                self.count == other.count
            }
        }

        impl<U: Unit> Eq for $ty<U> {}

        impl<U: Unit> Hash for $ty<U> {
            fn hash<H: Hasher>(&self, state: &mut H) {
                self.count.hash(state);
            }
        }

        impl<U: Unit> PartialOrd for $ty<U> {
            fn partial_cmp(&self, other: &$ty<U>) -> Option<Ordering> {
                Some(self.cmp(other))
            }
        }

        impl<U: Unit> Ord for $ty<U> {
            /// By count, NaT last (as `np.sort`).
            fn cmp(&self, other: &$ty<U>) -> Ordering {
                (self.is_nat(), self.count).cmp(&(other.is_nat(), other.count))
            }
        }

        impl<U: Unit> fmt::Debug for $ty<U> {
            /// As [`Display`](fmt::Display).
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(self, f)
            }
        }
    };
}

time_type!(DateTime64, DateTime);
time_type!(TimeDelta64, TimeDelta);

impl<U: Unit> DateTime64<U> {
    /// The time `t`, rounded down to a whole unit.
    ///
    /// # Errors
    ///
    /// [`TimeError::OutOfRange`] if the count does not fit (nanoseconds reach only the
    /// years 1677 to 2262).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::{Duration, UNIX_EPOCH};
    /// use recmap::{DateTime64, unit::Secs};
    /// let before = UNIX_EPOCH - Duration::from_millis(500);
    /// assert_eq!(DateTime64::<Secs>::from_system_time(before)?.count(), -1);
    /// # Ok::<(), recmap::types::TimeError>(())
    /// ```
    pub fn from_system_time(t: SystemTime) -> Result<DateTime64<U>, TimeError> {
        let nanos = match t.duration_since(UNIX_EPOCH) {
            Ok(after) => i128::try_from(after.as_nanos()),
            Err(before) => i128::try_from(before.duration().as_nanos()).map(|n| -n),
        };
        let nanos = nanos.map_err(|_| TimeError::OutOfRange {
            count: i64::MAX,
            unit: U::UNIT,
        })?;
        count_of(nanos, U::UNIT).map(DateTime64::new)
    }

    /// The time as a `SystemTime`. On Windows a `SystemTime` counts 100 ns intervals, so
    /// finer counts are cut to them (towards the epoch).
    ///
    /// # Errors
    ///
    /// [`TimeError::NaT`] for NaT; [`TimeError::OutOfRange`] if the system's time cannot
    /// hold it.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::{Duration, UNIX_EPOCH};
    /// use recmap::{DateTime64, unit::Days};
    /// assert_eq!(DateTime64::<Days>::new(-1).to_system_time()?, UNIX_EPOCH - Duration::from_secs(86_400));
    /// # Ok::<(), recmap::types::TimeError>(())
    /// ```
    pub fn to_system_time(self) -> Result<SystemTime, TimeError> {
        let nanos = self.nanos().ok_or(TimeError::NaT)?;
        let out_of_range = TimeError::OutOfRange {
            count: self.count,
            unit: U::UNIT,
        };
        let time = if nanos >= 0 {
            duration_of(nanos).and_then(|d| UNIX_EPOCH.checked_add(d))
        } else {
            duration_of(-nanos).and_then(|d| UNIX_EPOCH.checked_sub(d))
        };
        time.ok_or(out_of_range)
    }

    /// The current time, rounded down to a whole unit.
    ///
    /// # Errors
    ///
    /// As [`from_system_time`](DateTime64::from_system_time).
    ///
    /// ```
    /// use recmap::{DateTime64, unit::Ns};
    /// assert!(DateTime64::<Ns>::now()? > DateTime64::new(1_700_000_000_000_000_000));
    /// # Ok::<(), recmap::types::TimeError>(())
    /// ```
    pub fn now() -> Result<DateTime64<U>, TimeError> {
        DateTime64::from_system_time(SystemTime::now())
    }
}

impl<U: Unit> TimeDelta64<U> {
    /// The duration `d`, rounded down to a whole unit.
    ///
    /// # Errors
    ///
    /// [`TimeError::OutOfRange`] if the count does not fit in an `i64` (nanoseconds reach
    /// 292 years).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use recmap::{TimeDelta64, unit::Ms};
    /// assert_eq!(TimeDelta64::<Ms>::from_duration(Duration::from_micros(2_999))?.count(), 2);
    /// # Ok::<(), recmap::types::TimeError>(())
    /// ```
    pub fn from_duration(d: Duration) -> Result<TimeDelta64<U>, TimeError> {
        // A Duration's nanoseconds (< 2^64 × 10^9) always fit in i128.
        let nanos = i128::try_from(d.as_nanos()).unwrap_or(i128::MAX);
        count_of(nanos, U::UNIT).map(TimeDelta64::new)
    }

    /// The length as a `Duration`.
    ///
    /// # Errors
    ///
    /// [`TimeError::NaT`] for NaT; [`TimeError::Negative`] for a negative length.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use recmap::{TimeDelta64, unit::Hours};
    /// assert_eq!(TimeDelta64::<Hours>::new(2).to_duration()?, Duration::from_secs(7_200));
    /// # Ok::<(), recmap::types::TimeError>(())
    /// ```
    pub fn to_duration(self) -> Result<Duration, TimeError> {
        let nanos = self.nanos().ok_or(TimeError::NaT)?;
        if nanos < 0 {
            return Err(TimeError::Negative {
                count: self.count,
                unit: U::UNIT,
            });
        }
        // Seconds and finer always fit (2^63 seconds < 2^64); 2^63 minutes do not.
        duration_of(nanos).ok_or(TimeError::OutOfRange {
            count: self.count,
            unit: U::UNIT,
        })
    }
}

impl<U: Unit> TryFrom<SystemTime> for DateTime64<U> {
    type Error = TimeError;

    /// As [`DateTime64::from_system_time`].
    fn try_from(t: SystemTime) -> Result<DateTime64<U>, TimeError> {
        DateTime64::from_system_time(t)
    }
}

impl<U: Unit> TryFrom<DateTime64<U>> for SystemTime {
    type Error = TimeError;

    /// As [`DateTime64::to_system_time`].
    fn try_from(t: DateTime64<U>) -> Result<SystemTime, TimeError> {
        t.to_system_time()
    }
}

impl<U: Unit> TryFrom<Duration> for TimeDelta64<U> {
    type Error = TimeError;

    /// As [`TimeDelta64::from_duration`].
    fn try_from(d: Duration) -> Result<TimeDelta64<U>, TimeError> {
        TimeDelta64::from_duration(d)
    }
}

impl<U: Unit> TryFrom<TimeDelta64<U>> for Duration {
    type Error = TimeError;

    /// As [`TimeDelta64::to_duration`].
    fn try_from(d: TimeDelta64<U>) -> Result<Duration, TimeError> {
        d.to_duration()
    }
}

/// The proleptic Gregorian date of day `days` after 1970-01-01 (Howard Hinnant's
/// `civil_from_days`), as numpy computes it.
fn civil_from_days(days: i128) -> (i128, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097); // [0, 146096]
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365; // [0, 399]
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100); // [0, 365]
    let mp = (5 * doy + 2) / 153; // [0, 11]
    let day = doy - (153 * mp + 2) / 5 + 1; // [1, 31]
    let month = if mp < 10 { mp + 3 } else { mp - 9 }; // [1, 12]
    let year = yoe + era * 400 + i128::from(month <= 2);
    // Both are small by the ranges above.
    (year, month as u32, day as u32)
}

impl<U: Unit> fmt::Display for DateTime64<U> {
    /// numpy's `str()`: ISO 8601 to the unit (`2023-11-14`, `2023-11-14T22`,
    /// `2023-11-14T22:13:20.123456789`), or `NaT`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Some(nanos) = self.nanos() else {
            return f.write_str("NaT");
        };
        const DAY: i128 = 86_400 * NANOS_PER_SEC;
        let (year, month, day) = civil_from_days(nanos.div_euclid(DAY));
        let in_day = nanos.rem_euclid(DAY);
        let (h, m, s) = (
            in_day / (3_600 * NANOS_PER_SEC),
            in_day / (60 * NANOS_PER_SEC) % 60,
            in_day / NANOS_PER_SEC % 60,
        );
        let sub = in_day % NANOS_PER_SEC;
        write!(f, "{year:04}-{month:02}-{day:02}")?;
        match U::UNIT {
            TimeUnit::Day => Ok(()),
            TimeUnit::Hour => write!(f, "T{h:02}"),
            TimeUnit::Minute => write!(f, "T{h:02}:{m:02}"),
            TimeUnit::Second => write!(f, "T{h:02}:{m:02}:{s:02}"),
            TimeUnit::Millisecond => write!(f, "T{h:02}:{m:02}:{s:02}.{:03}", sub / 1_000_000),
            TimeUnit::Microsecond => write!(f, "T{h:02}:{m:02}:{s:02}.{:06}", sub / 1_000),
            TimeUnit::Nanosecond => write!(f, "T{h:02}:{m:02}:{s:02}.{sub:09}"),
        }
    }
}

impl<U: Unit> fmt::Display for TimeDelta64<U> {
    /// numpy's `str()`: `5 microseconds`, `-1 days`, or `NaT`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_nat() {
            return f.write_str("NaT");
        }
        write!(f, "{} {}", self.count, unit_name(U::UNIT))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::unit::{Days, Hours, Mins, Ms, Ns, Secs, Us};

    #[test]
    fn printed_as_numpy_prints() {
        // Each line is numpy's str(np.datetime64(count, unit)).
        assert_eq!(
            DateTime64::<Ns>::new(-1).to_string(),
            "1969-12-31T23:59:59.999999999"
        );
        assert_eq!(
            DateTime64::<Us>::new(-1).to_string(),
            "1969-12-31T23:59:59.999999"
        );
        assert_eq!(
            DateTime64::<Ms>::new(5).to_string(),
            "1970-01-01T00:00:00.005"
        );
        assert_eq!(
            DateTime64::<Secs>::new(3).to_string(),
            "1970-01-01T00:00:03"
        );
        assert_eq!(DateTime64::<Mins>::new(3).to_string(), "1970-01-01T00:03");
        assert_eq!(DateTime64::<Hours>::new(3).to_string(), "1970-01-01T03");
        assert_eq!(DateTime64::<Days>::new(3).to_string(), "1970-01-04");
        assert_eq!(DateTime64::<Days>::new(-800_000).to_string(), "-221-09-04");
        assert_eq!(
            DateTime64::<Days>::new(3_000_000).to_string(),
            "10183-09-21"
        );
        assert_eq!(DateTime64::<Days>::new(-717_701).to_string(), "0005-01-01");
        assert_eq!(DateTime64::<Days>::new(-721_354).to_string(), "-005-01-01");
        assert_eq!(
            DateTime64::<Secs>::new(i64::MAX).to_string(),
            "292277026596-12-04T15:30:07"
        );
        assert_eq!(
            DateTime64::<Ns>::new(i64::MIN + 1).to_string(),
            "1677-09-21T00:12:43.145224193"
        );
        assert_eq!(DateTime64::<Ns>::NAT.to_string(), "NaT");
        assert_eq!(TimeDelta64::<Days>::new(-5).to_string(), "-5 days");
        assert_eq!(TimeDelta64::<Us>::NAT.to_string(), "NaT");
    }

    #[test]
    fn conversions_round_down_and_check() {
        let before = UNIX_EPOCH - Duration::from_millis(500);
        assert_eq!(
            DateTime64::<Secs>::from_system_time(before)
                .unwrap()
                .count(),
            -1
        );
        assert_eq!(
            DateTime64::<Ns>::from_system_time(before).unwrap().count(),
            -500_000_000
        );
        let far = UNIX_EPOCH + Duration::from_secs(300 * 365 * 86_400);
        assert_eq!(
            DateTime64::<Ns>::from_system_time(far),
            Err(TimeError::OutOfRange {
                count: i64::MAX,
                unit: TimeUnit::Nanosecond
            })
        );
        assert!(DateTime64::<Us>::from_system_time(far).is_ok());
        for count in [0, 1, -1, 1_700_000_000_123_456_789, i64::MAX, i64::MIN + 1] {
            let t = DateTime64::<Ns>::new(count);
            // Windows' SystemTime counts 100 ns intervals: the rest is cut, towards the epoch.
            let kept = if cfg!(windows) {
                count - count % 100
            } else {
                count
            };
            assert_eq!(
                DateTime64::from_system_time(t.to_system_time().unwrap()),
                Ok(DateTime64::<Ns>::new(kept))
            );
        }
        assert_eq!(
            TimeDelta64::<Ns>::new(i64::MAX).to_duration().unwrap(),
            Duration::from_nanos(i64::MAX as u64)
        );
        // 2^63 days are more seconds than a Duration holds (2^64 - 1).
        assert_eq!(
            TimeDelta64::<Days>::new(i64::MAX).to_duration(),
            Err(TimeError::OutOfRange {
                count: i64::MAX,
                unit: TimeUnit::Day
            })
        );
        assert_eq!(
            TimeDelta64::<Secs>::new(i64::MAX).to_duration(),
            Ok(Duration::from_secs(i64::MAX as u64))
        );
        assert_eq!(
            TimeDelta64::<Ns>::from_duration(Duration::MAX),
            Err(TimeError::OutOfRange {
                count: i64::MAX,
                unit: TimeUnit::Nanosecond
            })
        );
        assert_eq!(
            TimeDelta64::<Ns>::from_duration(Duration::from_nanos(i64::MAX as u64)),
            Ok(TimeDelta64::new(i64::MAX))
        );
        assert_eq!(
            TimeDelta64::<Secs>::new(-2).to_duration(),
            Err(TimeError::Negative {
                count: -2,
                unit: TimeUnit::Second
            })
        );
        assert_eq!(TimeDelta64::<Secs>::NAT.to_duration(), Err(TimeError::NaT));
    }

    #[test]
    fn nat_sorts_last() {
        let mut v = [
            DateTime64::<Secs>::new(3),
            DateTime64::NAT,
            DateTime64::new(1),
        ];
        v.sort();
        assert_eq!(v.map(|t| t.count()), [1, 3, i64::MIN]);
        assert_eq!(DateTime64::<Secs>::NAT, DateTime64::NAT);
    }
}
