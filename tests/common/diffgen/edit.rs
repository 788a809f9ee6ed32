//! Edits between the runs of a case, and replaying them into versions.
//!
//! Edits name their targets by index and are applied leniently: an edit
//! whose target the shrinker removed does nothing, so a shrunk case still
//! replays.

use super::ast::*;

/// Something done to the files before a run.
#[derive(Clone, Debug, PartialEq)]
pub enum FileOp {
    /// Writes the file. `rename`: through a temp file and a rename (a new
    /// inode) instead of in place. `mtime`: then sets its mtime to these
    /// seconds since the epoch (else the write's own time stays).
    Write {
        name: String,
        content: String,
        rename: bool,
        mtime: Option<i64>,
    },
    Remove(String),
    /// Sets the mtime of an existing file, content unchanged.
    Touch(String, i64),
}

impl FileOp {
    pub fn name(&self) -> &str {
        match self {
            FileOp::Write { name, .. } | FileOp::Remove(name) | FileOp::Touch(name, _) => name,
        }
    }
}

#[derive(Clone, Debug)]
pub enum Edit {
    /// The `k`-th editable literal of fn `f` becomes `to`.
    FnLit {
        f: usize,
        k: usize,
        to: Lit,
    },
    /// Global `g` gets a new initial value.
    GlobalInit {
        g: usize,
        to: Expr,
    },
    File(FileOp),
    /// `--set name=to`, or no `--set` for `name`.
    Param {
        name: String,
        to: Option<Lit>,
    },
    RenameFn {
        f: usize,
        to: String,
    },
    SwapNames {
        a: usize,
        b: usize,
    },
    /// Fn `f` gets an equivalent body (see [`super::gen::equivalent`]).
    Equiv {
        f: usize,
        k: usize,
        how: u8,
    },
    ToggleCached {
        f: usize,
    },
    SetOpts {
        f: usize,
        opts: Vec<String>,
    },
}

/// One run of a case: the program and what it sees.
#[derive(Clone, Debug)]
pub struct Version {
    pub program: Program,
    pub env: Env,
    /// File operations to do before this run.
    pub file_ops: Vec<FileOp>,
}

/// A generated case: version 1 is `base` with `init_env` (its files made by
/// `init_files`), version k+1 is version k after `edits[k-1]`.
#[derive(Clone, Debug)]
pub struct Case {
    pub seed: u64,
    pub base: Program,
    pub init_files: Vec<FileOp>,
    pub init_params: Vec<(String, Lit)>,
    pub edits: Vec<Vec<Edit>>,
}

impl Case {
    pub fn versions(&self) -> Vec<Version> {
        let mut env = Env::default();
        for op in &self.init_files {
            apply_file(&mut env, op);
        }
        env.params = self.init_params.iter().cloned().collect();
        let mut v = Version { program: self.base.clone(), env, file_ops: self.init_files.clone() };
        let mut out = vec![v.clone()];
        for group in &self.edits {
            v.file_ops.clear();
            for e in group {
                apply(&mut v, e);
            }
            out.push(v.clone());
        }
        out
    }
}

fn apply_file(env: &mut Env, op: &FileOp) {
    match op {
        FileOp::Write { name, content, .. } => {
            env.files.insert(name.clone(), content.clone());
        }
        FileOp::Remove(name) => {
            env.files.remove(name);
        }
        FileOp::Touch(..) => {}
    }
}

pub fn apply(v: &mut Version, e: &Edit) {
    let p = &mut v.program;
    match e {
        Edit::FnLit { f, k, to } => {
            if let Some(d) = p.fns.get_mut(*f) {
                set_body_lit(&mut d.body, *k, to);
            }
        }
        Edit::GlobalInit { g, to } => {
            if let Some(g) = p.globals.get_mut(*g) {
                g.init = to.clone();
            }
        }
        Edit::File(op) => {
            // Touching a file that is not there would fail: skip it.
            if matches!(op, FileOp::Touch(..)) && !v.env.files.contains_key(op.name()) {
                return;
            }
            apply_file(&mut v.env, op);
            v.file_ops.push(op.clone());
        }
        Edit::Param { name, to } => match to {
            Some(l) => {
                v.env.params.insert(name.clone(), l.clone());
            }
            None => {
                v.env.params.remove(name);
            }
        },
        Edit::RenameFn { f, to } => {
            if p.fns.iter().any(|d| &d.name == to) {
                return;
            }
            if let Some(d) = p.fns.get_mut(*f) {
                d.name = to.clone();
            }
        }
        Edit::SwapNames { a, b } => {
            if *a < p.fns.len() && *b < p.fns.len() {
                let na = p.fns[*a].name.clone();
                p.fns[*a].name = std::mem::replace(&mut p.fns[*b].name, na);
            }
        }
        Edit::Equiv { f, k, how } => {
            if let Some(d) = p.fns.get_mut(*f) {
                if let Some(e) = super::gen::equivalent(d, *k, *how) {
                    *d = e;
                }
            }
        }
        Edit::ToggleCached { f } => {
            if let Some(d) = p.fns.get_mut(*f) {
                d.cached = !d.cached;
            }
        }
        Edit::SetOpts { f, opts } => {
            if let Some(d) = p.fns.get_mut(*f) {
                d.opts = opts.clone();
            }
        }
    }
}
