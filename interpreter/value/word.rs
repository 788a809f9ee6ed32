//! The payloads of `Value::Bool` and `Value::Float`, each a full 8-byte
//! word.
//!
//! Every payload of a `Value` is then one word at the same offset (an int,
//! a float's bits, a bool, a pointer), so rustc lays `Value` out as a
//! (tag, word) scalar pair instead of an opaque 16-byte blob. Values are
//! then moved, passed and returned in two registers, and `R` (a
//! `Result<Value, Ctrl>` with a zero-sized `Ctrl`) too. With a one-byte
//! `bool` or an `f64` payload the layout is an aggregate: every closure in
//! the evaluator returned its value through memory, and each copy of a value
//! just written field by field stalled on store forwarding (measured in
//! docs/performance.md, item 17).

/// A bool in a word: `BoolWord::TRUE`, `BoolWord::FALSE` (usable in
/// patterns), `BoolWord::new(b)`, `.get()`.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
#[repr(transparent)]
pub struct BoolWord(u64);

impl BoolWord {
    pub const TRUE: BoolWord = BoolWord(1);
    pub const FALSE: BoolWord = BoolWord(0);

    #[inline(always)]
    pub const fn new(b: bool) -> BoolWord {
        BoolWord(b as u64)
    }

    #[inline(always)]
    pub const fn get(self) -> bool {
        self.0 != 0
    }
}

impl From<bool> for BoolWord {
    fn from(b: bool) -> BoolWord {
        BoolWord::new(b)
    }
}

impl std::fmt::Debug for BoolWord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.get().fmt(f)
    }
}

/// An `f64` in a word (its bits): `FloatWord::new(x)`, `.get()`.
#[derive(Clone, Copy, Default)]
#[repr(transparent)]
pub struct FloatWord(u64);

impl FloatWord {
    #[inline(always)]
    pub fn new(x: f64) -> FloatWord {
        FloatWord(x.to_bits())
    }

    #[inline(always)]
    pub fn get(self) -> f64 {
        f64::from_bits(self.0)
    }
}

impl From<f64> for FloatWord {
    fn from(x: f64) -> FloatWord {
        FloatWord::new(x)
    }
}

impl std::fmt::Debug for FloatWord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.get().fmt(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::value::Value;

    #[test]
    fn value_is_a_tag_and_a_word() {
        assert_eq!(std::mem::size_of::<Value>(), 16);
        assert!(BoolWord::new(true).get() && !BoolWord::new(false).get());
        assert_eq!(FloatWord::new(-0.0).get().to_bits(), (-0.0f64).to_bits());
        assert!(FloatWord::new(f64::NAN).get().is_nan());
        assert!(matches!(Value::bool(true), Value::Bool(BoolWord::TRUE)));
    }
}
