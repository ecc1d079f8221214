//! SQL text that differs between the backends: placeholders for multi-row statements and
//! `IN` lists.

use super::*;

/// `($1,$2,..),($k,..)` for `rows` rows of `cols` columns (placeholders that work on both
/// SQLite and PostgreSQL through the Any driver).
/// SQLite gets positional `?` (no lookup of parameter names, which costs O(n) per bind in
/// long statements); PostgreSQL needs `$N`.
pub(crate) fn values_clause(backend: Backend, rows: usize, cols: usize) -> String {
    use std::fmt::Write;
    let mut s = String::with_capacity(rows * cols * 5);
    let mut n = 1;
    let sqlite = backend == Backend::Sqlite;
    for r in 0..rows {
        if r > 0 {
            s.push(',');
        }
        s.push('(');
        for c in 0..cols {
            if c > 0 {
                s.push(',');
            }
            if sqlite {
                s.push('?');
            } else {
                let _ = write!(s, "${n}");
            }
            n += 1;
        }
        s.push(')');
    }
    s
}

/// `$first,...,$(first+n-1)`: a numbered parameter list for `IN (...)`.
/// Positional `?` on SQLite (no per-bind name lookup), `$N` on PostgreSQL.
pub(crate) fn numbered(backend: Backend, first: usize, n: usize) -> String {
    (first..first + n)
        .map(|i| match backend {
            Backend::Sqlite => "?".to_owned(),
            Backend::Postgres => format!("${i}"),
        })
        .collect::<Vec<_>>()
        .join(",")
}

/// The first parameter of a statement that continues with [`numbered`] parameters.
pub(crate) fn p1(backend: Backend) -> &'static str {
    match backend {
        Backend::Sqlite => "?",
        Backend::Postgres => "$1",
    }
}

/// Rows per multi-row statement (keeps bind parameters well under both databases' limits).
pub(crate) const CHUNK: usize = 500;
