//! The examples and notes at the end of `memo --help` and of each
//! command's help.

pub const TOP: &str = "\
Examples:
  memo app.memo                   run a script (as `memo run app.memo`)
  memo                            start the REPL
  memo run -e 'print(2 ** 10)'    run code given on the command line
  memo watch app.memo             re-run app.memo on every save, keeping the cache
  memo cache stats --for app.memo the cache `memo run app.memo` uses

Exit codes:
  0    success
  1    the script failed (a syntax, compile or runtime error)
  2    usage error (unknown option, unreadable file)
  130  stopped by Ctrl-C";

pub const RUN: &str = "\
Examples:
  memo run app.memo --set b=9          param(\"b\", 0) returns 9
  memo run app.memo --explain          say why each cached call hit or missed
  memo run -e 'print(len(\"memo\"))'     run CODE
  echo 'print(1 + 1)' | memo run -     read the script from stdin

The cache is .memo-cache/ beside the script ($MEMO_CACHE_DIR or --cache-dir
when set; the current directory for -e and stdin).
Exit codes: 0 success, 1 the script failed, 2 usage error, 130 Ctrl-C.";

pub const CHECK: &str = "\
Examples:
  memo check app.memo         report every syntax and compile error of app.memo
  memo check -e 'let x = '    check CODE

Nothing runs. Warnings for likely mistakes (`n // 2`, a comment in memo) are
printed too. Exit codes: 0 no error, 1 errors, 2 usage error.";

pub const REPL: &str = "\
Examples:
  memo repl                   an interactive session (also plain `memo`)
  memo repl app.memo          run app.memo first; `:run` re-runs it after an edit

At the prompt, `:help` lists the commands, `:doc NAME` shows a function's
documentation, `_` is the last value. Ctrl-C stops a running evaluation,
Ctrl-D ends the session.";

pub const WATCH: &str = "\
Examples:
  memo watch app.memo          re-run app.memo (and what it imports) on every save
  memo watch -c app.memo       clear the screen before each run

After each run a line gives the time it took, the cache hits and misses and
which cached fns missed. Ctrl-C ends watching (exit code 130).";

pub const CACHE: &str = "\
Examples:
  memo cache stats                    the cache in ./.memo-cache
  memo cache stats --for sub/app.memo the cache `memo run sub/app.memo` uses (sub/.memo-cache)
  memo cache ls fib                   the entries of the cached fn `fib`
  memo cache clear fib                delete them";

pub const CACHE_STATS: &str = "\
Examples:
  memo cache stats                    every cached fn of ./.memo-cache
  memo cache stats fib                only `fib`
  memo cache stats --for sub/app.memo the cache `memo run sub/app.memo` uses";

pub const CACHE_LS: &str = "\
Examples:
  memo cache ls                       every entry
  memo cache ls fib --for app.memo    the entries of `fib` in the cache of app.memo";

pub const CACHE_CLEAR: &str = "\
Examples:
  memo cache clear                    delete every entry
  memo cache clear fib                delete the entries of `fib`";

pub const COMPLETIONS: &str = "\
Examples:
  memo completions bash > ~/.local/share/bash-completion/completions/memo
  memo completions zsh > ~/.zfunc/_memo     (with `fpath+=~/.zfunc` in .zshrc)
  memo completions fish > ~/.config/fish/completions/memo.fish";
