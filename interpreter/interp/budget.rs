//! The run's budget: operations (`Config::max_ops`), memory
//! (`Config::max_memory`) and the interrupt flag.
//!
//! Loops and calls count one operation each (`Interp::step`). Work that
//! one operation does over a whole value or collection (comparing, hashing,
//! printing, sorting, copying) is counted too, at the rate of one
//! operation per element visited and one per `BYTES_PER_OP` bytes of
//! string data, with [`Interp::charge`] or through the interpreter's
//! [`Meter`] (`value/meter.rs`). So no single operation can run unbounded
//! inside the budget, and every `CHECK_EVERY` operations the interpreter
//! looks at the interrupt flag, the budget and the memory the run holds.
//!
//! Running out of operations or memory ends the run: `try` does not catch
//! those `LimitError`s (see `budget_spent`).

use super::{Interp, CHECK_EVERY};
use crate::error::MemoError;
use crate::value::meter::{Meter, BYTES_PER_OP};
use crate::value::Value;

/// Deferred work (operations) big enough to look at the budget right away:
/// 64 KiB of string data.
const BIG_DEFERRED: u64 = (1 << 16) / BYTES_PER_OP as u64;

impl Interp {
    /// Counts `units` operations of work at once; an error when that spends
    /// the budget (or an interrupt is pending). Cheap when `units` is small.
    #[inline]
    pub(crate) fn charge(&mut self, units: u64) -> Result<(), MemoError> {
        if units < self.tick as u64 {
            self.tick -= units as u32;
            return Ok(());
        }
        self.charge_slow(units)
    }

    /// Counts the work of handling `bytes` bytes of string data.
    #[inline]
    pub(crate) fn charge_bytes(&mut self, bytes: usize) -> Result<(), MemoError> {
        self.charge((bytes / BYTES_PER_OP) as u64)
    }

    #[cold]
    fn charge_slow(&mut self, units: u64) -> Result<(), MemoError> {
        // `ops + (CHECK_EVERY - tick)` is the count; keep it, with a full tick.
        self.ops = self.ops.saturating_add((CHECK_EVERY - self.tick) as u64).saturating_add(units);
        self.tick = CHECK_EVERY;
        self.check_budget()
    }

    /// Looks at the interrupt flag, the operation budget and the memory.
    /// Counts the work deferred by code without the interpreter first.
    pub(crate) fn check_budget(&mut self) -> Result<(), MemoError> {
        self.ops = self.ops.saturating_add(crate::value::meter::take_deferred());
        if self.interrupt.swap(false, std::sync::atomic::Ordering::Relaxed) {
            return Err(MemoError::new("Interrupted", "interrupted"));
        }
        if let Some(max) = self.config.max_ops {
            if self.ops > max {
                self.budget_spent = true;
                return Err(MemoError::new("LimitError", format!("operation limit of {max} exceeded")));
            }
        }
        self.check_memory(0)
    }

    /// Bytes the run holds now: allocated minus freed on this thread since
    /// the run started (see `crate::alloc`).
    pub fn memory_used(&self) -> usize {
        crate::alloc::thread_net().saturating_sub(self.memory_base).max(0) as usize
    }

    /// An error if the run holds more memory than its limit, or would with
    /// `more` bytes allocated. Natives call it before allocating in bulk.
    #[inline]
    pub(crate) fn check_memory(&mut self, more: usize) -> Result<(), MemoError> {
        match self.config.max_memory {
            Some(max) if self.memory_used().saturating_add(more) > max => Err(self.memory_error(max, more)),
            _ => Ok(()),
        }
    }

    #[cold]
    fn memory_error(&mut self, max: usize, more: usize) -> MemoError {
        self.budget_spent = true;
        crate::alloc::limit_error(max, self.memory_used(), more)
    }

    /// After work that deferred its count (`meter::defer`: the `+` of long
    /// strings or lists): is it big enough to look at the budget and the
    /// memory now (with `settle`), instead of up to `CHECK_EVERY`
    /// operations later? One thread-local load.
    #[inline(always)]
    pub(crate) fn must_settle(&self) -> bool {
        crate::value::meter::deferred() >= BIG_DEFERRED
    }

    /// `r`, once the budget was looked at (`must_settle` said so): for the
    /// compiled code's hot paths, which keep only the test inline.
    #[cold]
    #[inline(never)]
    pub(crate) fn settle(&mut self, r: super::R, span: crate::source::Span) -> super::R {
        let v = r?;
        self.check_budget().map_err(|e| e.or_at(span))?;
        Ok(v)
    }

    /// Before a native allocates about `bytes` at once (a list of `n`
    /// elements is `n * size_of::<Value>()`): an error if the memory limit
    /// would not allow it. Nothing to do without a memory limit.
    #[inline]
    pub(crate) fn reserve(&mut self, bytes: usize) -> Result<(), MemoError> {
        if self.config.max_memory.is_some() {
            return self.check_memory(bytes);
        }
        Ok(())
    }

    /// [`Interp::reserve`] for `n` values.
    #[inline]
    pub(crate) fn reserve_values(&mut self, n: usize) -> Result<(), MemoError> {
        self.reserve(n.saturating_mul(std::mem::size_of::<Value>()))
    }

    /// `repr(v)` of at most `max_collection_len` bytes, its walk counted
    /// against the run's budget (`value/meter.rs`).
    pub(crate) fn repr_metered(&mut self, v: &Value) -> Result<String, MemoError> {
        let max = self.config.max_collection_len;
        crate::value::repr_in(v, max, self)?
    }

    /// Starts the memory count of a run on the current thread (the thread
    /// the script runs on), and forgets work deferred before it. With a
    /// memory limit set, an error when the global allocator does not count
    /// (see `crate::alloc`).
    pub fn start_memory_budget(&mut self) -> Result<(), MemoError> {
        self.memory_base = crate::alloc::thread_net();
        crate::alloc::start_limit(self.config.max_memory);
        self.budget_spent = false;
        crate::value::meter::take_deferred();
        if self.config.max_memory.is_some() && !crate::alloc::is_counting() {
            return Err(MemoError::new(
                "LimitError",
                "a memory limit is set, but the program's global allocator is not memo::alloc::Counting, so memory cannot be counted",
            ));
        }
        Ok(())
    }

    /// Did the run spend its operations or memory? Its `LimitError` then
    /// ends the run: `try` does not catch it.
    pub(crate) fn budget_spent(&self) -> bool {
        self.budget_spent || self.ops_exhausted() || crate::alloc::was_refused()
    }

    /// Before a map lookup or update with key `k` in a map of `len`
    /// entries: counts the comparisons it may do. A key compares with
    /// another in at most its own size (elements, and string bytes), and
    /// a search compares it with about log2(len) keys. The key pays its
    /// size (measuring it, a metered walk: a huge key stops there), plus a
    /// sixteenth of it per search: most comparisons stop at the first
    /// element, so the worst case (keys that share long prefixes) is
    /// under-counted by at most that factor, and a `[x, y]` key pays a few
    /// operations. Ints and short strings pay nothing.
    #[inline]
    pub(crate) fn charge_key(&mut self, k: &Value, len: usize) -> Result<(), MemoError> {
        match k {
            Value::Str(s) if s.s.len() < BYTES_PER_OP => Ok(()),
            Value::None | Value::Bool(_) | Value::Int(_) | Value::Float(_) | Value::Range(_) => Ok(()),
            _ => self.charge_key_slow(k, len),
        }
    }

    #[cold]
    fn charge_key_slow(&mut self, k: &Value, len: usize) -> Result<(), MemoError> {
        let size = key_size(k, self)?;
        let searches = (usize::BITS - len.leading_zeros()) as u64 + 1;
        self.charge(size.saturating_mul(searches) / 16)
    }
}

/// The size of a key in operations: one per element of its tree (shared
/// parts counted as often as they appear) and one per `BYTES_PER_OP`
/// bytes of its strings; the walk is metered, so a huge key stops here.
fn key_size(k: &Value, m: &mut Interp) -> Result<u64, MemoError> {
    m.tick()?;
    Ok(1 + match k {
        Value::Str(s) => (s.s.len() / BYTES_PER_OP) as u64,
        Value::List(l) => {
            m.descend()?;
            let mut n = 0u64;
            for x in l.iter() {
                n = n.saturating_add(key_size(x, m)?);
            }
            n
        }
        Value::Map(mm) => {
            m.descend()?;
            let mut n = 0u64;
            for (k, v) in mm.map.iter() {
                n = n.saturating_add(key_size(k, m)?).saturating_add(key_size(v, m)?);
            }
            n
        }
        Value::Struct(s) => {
            m.descend()?;
            let mut n = 0u64;
            for x in s.fields.iter() {
                n = n.saturating_add(key_size(x, m)?);
            }
            n
        }
        _ => 0,
    })
}

/// The interpreter meters the walks of the values its scripts hand to
/// operators and natives (see `value/meter.rs`).
impl Meter for Interp {
    type Error = MemoError;

    #[inline(always)]
    fn tick(&mut self) -> Result<(), MemoError> {
        self.step()
    }

    #[inline]
    fn charge(&mut self, units: u64) -> Result<(), MemoError> {
        Interp::charge(self, units)
    }

    #[inline]
    fn descend(&mut self) -> Result<(), MemoError> {
        if crate::stack::near_overflow() {
            return Err(MemoError::new("RecursionError", "value nested too deeply for this stack"));
        }
        Ok(())
    }
}
