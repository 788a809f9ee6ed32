//! The specializations: rewrites that lower a general node into faster code
//! for a common shape. Each has a guard that decides when the fast code
//! means the same as the general one, and a script that pins it (the
//! snapshot tests run every script with specializations on and off and
//! compare the outputs: `tests/scripts.rs`). A specialization changes how a
//! function runs, never what it is: the code hash is taken from the IR,
//! before lowering, so it cannot change a cache key.
//!
//! `LIST` names them; ARCHITECTURE.md lists them with their guards.
//! Lowering with `with_enabled(false, ..)` (an interpreter's
//! `Config::specialize`, `MEMO_SPECIALIZE=off` for the `memo` binary) uses
//! the general code everywhere.

use std::cell::Cell;

/// (name, where, guard, the script that pins it).
pub const LIST: &[(&str, &str, &str, &str)] = &[
    ("operand forms", "Operand::of", "a local, a literal, or a local ± int constant, read in place (call arguments, `if` branches, list literal elements)", "operand_forms"),
    (
        "number operand shapes",
        "arith::lower_binary, lower_compare, update_local",
        "a local, an int or float constant, or other code as each operand: int and float fast paths (`num_op`) without a closure call for leaves or the drop glue",
        "number_paths",
    ),
    (
        "compare with a constant",
        "arith::none_test",
        "`x == k`, `x != k`, k a constant (either side; a string shorter than `BYTES_PER_OP`, whose walk is not charged): `none` a tag test, others compared in place; a local read in place",
        "equality_order",
    ),
    (
        "orderings of locals and literals",
        "arith::cmp (short_str_cmp)",
        "`a < b` (`<=`, `>`, `>=`, and `==`, `!=` past none_test) with each side a local or a literal: numbers compared before any copy, two strings whose shorter is under `BYTES_PER_OP` by their bytes in place; anything else copied out for the general comparison",
        "equality_order",
    ),
    (
        "equality in place",
        "peek::lower_place_compare",
        "`a == b`, `a != b` on places (locals, globals, constants, and fields and list items below them, ASCII strings' characters, an index in a local, a constant or another place), and `type(p) == T` with `type` the builtin: compared where they are when no walk is needed (numbers, kinds, identity, types, string lengths, a constant string's bytes); `a < b` (`<=`, `>`, `>=`) on places not both plain: two ints, two floats, two strings shorter than `BYTES_PER_OP`; anything else by the general comparison",
        "equality_in_place",
    ),
    (
        "slices of a local",
        "lower_slice_local, fields::lower_set_slice_local",
        "`xs[a..b]`, `xs[a..b] = ys` on a local: the bounds evaluated and the list, string or range sliced (the list spliced) in its slot without making a range value, a list `ys` nothing else holds moved in; anything else by the general index with the range",
        "slice_assignment",
    ),
    (
        "field cache",
        "fields::lower_field, lower_set_path",
        "`x.f`, `x.f = v`, `x.f op= v`: the field's index cached per site by the struct type's uid; a field of a local or global read in place; an object the interpreter owns in a local or global written in place",
        "field_sites",
    ),
    (
        "if local cmp const",
        "arith::lower_if_local_const",
        "`if x < c` with x a local and c an int: the comparison inside the if",
        "control_flow",
    ),
    (
        "string chains",
        "concat::lower_chain",
        "a `+` chain with a string literal or `str(..)` part: one string of the exact length",
        "concat_chains",
    ),
    (
        "append str",
        "concat::lower_append_str",
        "`s += str(x)` on a local not assigned by x: digits appended in place",
        "concat_chains",
    ),
    (
        "index by string key",
        "concat::lower_index_local",
        "`m[\"k\" + str(i)]` on a local: the key looked up from a stack buffer",
        "concat_chains",
    ),
    (
        "item assignment on a local",
        "fields::lower_set_item_local",
        "`m[k] = v`, `xs[n] = v` on a local: an int or string map key, or a list index in range, written in the slot (`index::set_map_item`, `set_list_item`); anything else by `index::update_path`",
        "indexing",
    ),
    ("record literal", "lower_record", "a map literal with distinct string-constant keys: built sorted", "record_literals"),
    (
        "push in place",
        "lower_set_local",
        "`xs = push(xs, v)`, v not reading or assigning xs, push the builtin: appended in place",
        "push_in_place",
    ),
    (
        "move first argument",
        "lower_set_local",
        "`x = f(x, ..)`, no other argument or the callee reading x: x moved into the call",
        "value_semantics",
    ),
    ("add in place", "lower_set_local", "`x = x + e`, e not reading x: updated in place", "path_compound"),
    (
        "tail returns",
        "tail::lower_body",
        "a function body's last `return e`, and `if c { ...; return a }` followed by more statements: values, not unwinding",
        "tail_returns",
    ),
    (
        "last-use moves",
        "liveness::with_last_uses",
        "a call argument that is a local's last use (no path reads it again before it is assigned): moved into the call, not copied",
        "last_use_moves",
    ),
    (
        "push into a field",
        "fields::lower_push_field",
        "`o.f = push(o.f, v)`, push the builtin, o an owned object in a local or global: appended in place when the field still holds the list after v ran",
        "mut_struct",
    ),
    (
        "globals in place",
        "globals::lower_set_global",
        "`g = push(g, v)` (push the builtin), `g = g + e` on a global: updated in its slot when the global's version shows nothing wrote it while v or e ran",
        "path_compound",
    ),
    (
        "field chain writes",
        "fields::set_chain (lower_set_path, lower_set_path_on)",
        "`o.a.b = v`, `o.a.b op= v`, `f().a.b = v` (two or more fields, or one on a call's object): every step a `mut struct` instance, the last owned by the interpreter: the last field written in place without the general path's keys",
        "field_chain_writes",
    ),
    (
        "index an object's field in place",
        "fields::lower_index_field (index_object_field)",
        "`x.f[k]`, x a local holding an owned `mut struct` instance, k running no call and no assignment (`fields::pure`): k first, then the field indexed where it is",
        "field_index",
    ),
    (
        "field chains",
        "fields::lower_chain",
        "`x.f.g...`, x a local: each step read in place through structs and owned objects, only the last value copied",
        "field_chains",
    ),
    (
        "cells in places",
        "place_calls::lower_place_call",
        "`x.get()`, `x.set(v)`, `x.f.get()`, `x.f.set(v)` (`get(x)` ...), x a local holding a cell, or a local struct whose field holds one; `get`/`set` the builtins, v not assigning x",
        "cell_fields",
    ),
    (
        "len in place",
        "place_calls::lower_len",
        "`len(p)`, p a place (`peek::Place`: a local, a global, a literal, and fields of structs and owned objects and list items below it), `len` the builtin: an ASCII string, a list or a map measured where it is",
        "len_in_place",
    ),
    (
        "contains in place",
        "place_calls::lower_contains",
        "`contains(p, x)`, p and x places, `contains` the builtin: a list whose elements looked at are numbers, bools or `none` searched where it is for such an x, a string for a string, the native's steps (bytes) counted after; anything else by the general call",
        "contains_in_place",
    ),
    (
        "read a local in place",
        "lower (Index), fields::lower_field",
        "`xs[i]`, `p.f` on a local: no clone of the container; a list by an int (a local index read in place too) without the general `index`",
        "indexing",
    ),
];

thread_local! {
    static ON: Cell<bool> = const { Cell::new(true) };
}

/// Are specializations applied to the code being lowered?
#[inline]
pub fn on() -> bool {
    ON.with(Cell::get)
}

/// Lowers with specializations on or off.
pub fn with_enabled<T>(yes: bool, f: impl FnOnce() -> T) -> T {
    let saved = ON.with(|c| c.replace(yes));
    let r = f();
    ON.with(|c| c.set(saved));
    r
}
