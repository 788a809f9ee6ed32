//! Returns in tail position: a function body's `return e` as its last
//! statement, and an `if c { ...; return a }` (no `else`) followed by the
//! rest of the body, which Python ports write everywhere, are lowered as
//! plain values (`if c { ...; a } else { rest }`) instead of unwinding
//! through `Flow::Return`. The value is the same: the `then` branch ends
//! the call with `a` either way, and otherwise the rest runs.

use super::{code, discard, lower, lower_cond, spec, Code};
use crate::compiler::ir::Node;
use crate::value::Value;

/// Lowers a function body.
pub(super) fn lower_body(n: &Node) -> Code {
    if !spec::on() {
        return lower(n);
    }
    tail(n)
}

/// `n` in tail position: its value is the function's.
fn tail(n: &Node) -> Code {
    match n {
        Node::Return(e) => lower(e),
        Node::Block(stmts) => tail_stmts(stmts),
        Node::If(c, t, Some(e), _) if always_returns(t) || always_returns(e) => {
            let (c, t, e) = (lower_cond(c, "an `if` condition"), tail(t), tail(e));
            code(move |i| if c(i)? { t.run(i) } else { e.run(i) })
        }
        _ => lower(n),
    }
}

/// Does `n` end with a `return` on every path?
fn always_returns(n: &Node) -> bool {
    match n {
        Node::Return(_) => true,
        Node::Block(v) => v.last().is_some_and(always_returns),
        Node::If(_, t, Some(e), _) => always_returns(t) && always_returns(e),
        _ => false,
    }
}

/// Statements in tail position: the last one's value is the function's.
fn tail_stmts(stmts: &[Node]) -> Code {
    let Some(last) = stmts.len().checked_sub(1) else {
        return code(|_| Ok(Value::None));
    };
    let split = stmts[..last].iter().position(|s| matches!(s, Node::If(_, t, None, _) if always_returns(t)));
    let (head, rest): (Vec<Code>, Code) = match split {
        Some(k) => {
            let Node::If(c, t, None, _) = &stmts[k] else { unreachable!("found above") };
            let (c, t, e) = (lower_cond(c, "an `if` condition"), tail(t), tail_stmts(&stmts[k + 1..]));
            (stmts[..k].iter().map(lower).collect(), code(move |i| if c(i)? { t.run(i) } else { e.run(i) }))
        }
        None => (stmts[..last].iter().map(lower).collect(), tail(&stmts[last])),
    };
    if head.is_empty() {
        return rest;
    }
    code(move |i| {
        for c in &head {
            discard(c.run(i)?);
        }
        rest.run(i)
    })
}
