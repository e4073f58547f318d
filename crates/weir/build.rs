//! Stamps the binary with where and when it was built, for `weir version`
//! and `weir --version`: sets `WEIR_BUILD_COMMIT` (short commit hash) and
//! `WEIR_BUILD_DATE` (RFC 3339, UTC) for the crate.
//!
//! - Commit: the environment variable `WEIR_BUILD_COMMIT` when set (a build
//!   from a source tarball knows its commit, git does not); else
//!   `git rev-parse --short HEAD` when this source tree is a git checkout
//!   (its own top level, not some repository it was unpacked into); else
//!   `unknown`.
//! - Date: `SOURCE_DATE_EPOCH` when set (reproducible builds), else the time
//!   this script ran.
//!
//! Cargo reruns the script when those variables change or HEAD moves: it
//! watches the HEAD file, the branch ref it names and `packed-refs`, asking
//! git for their paths so that worktrees (whose `.git` is a file pointing
//! elsewhere) work too. Only files that exist are watched — cargo treats a
//! missing one as always changed and would rebuild the crate every time.
//! Edits to the sources alone do not rerun it, so the date is that of the
//! last commit change, not of every incremental build.

use std::env;
use std::path::{Path, PathBuf};
use std::process::Command;

fn main() {
    println!("cargo:rerun-if-env-changed=WEIR_BUILD_COMMIT");
    println!("cargo:rerun-if-env-changed=SOURCE_DATE_EPOCH");
    // Without any rerun-if-changed line cargo would rerun the script on every
    // change in the package; the HEAD files below (or this file) replace that.
    println!("cargo:rerun-if-changed=build.rs");

    let manifest = env::var_os("CARGO_MANIFEST_DIR").map_or_else(PathBuf::new, PathBuf::from);
    let repo = manifest.join("../..");

    let commit = match env::var("WEIR_BUILD_COMMIT") {
        Ok(c) if !c.trim().is_empty() => c.trim().to_owned(),
        _ => git_commit(&repo).unwrap_or_else(|| "unknown".to_owned()),
    };
    println!("cargo:rustc-env=WEIR_BUILD_COMMIT={commit}");
    println!("cargo:rustc-env=WEIR_BUILD_DATE={}", build_date());
}

/// `git` in `repo`, its trimmed standard output when it succeeds.
fn git(repo: &Path, args: &[&str]) -> Option<String> {
    let out = Command::new("git")
        .arg("-C")
        .arg(repo)
        .args(args)
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    let text = String::from_utf8(out.stdout).ok()?;
    Some(text.trim().to_owned()).filter(|t| !t.is_empty())
}

/// The short hash of HEAD when `repo` is the top level of a git checkout;
/// also tells cargo which files to watch for HEAD moving.
fn git_commit(repo: &Path) -> Option<String> {
    let top = git(repo, &["rev-parse", "--show-toplevel"])?;
    // A tarball unpacked inside some other repository is not a checkout of
    // Weir: that repository's commit would be a lie.
    if Path::new(&top).canonicalize().ok()? != repo.canonicalize().ok()? {
        return None;
    }
    let mut watch = vec![git(repo, &["rev-parse", "--git-path", "HEAD"])?];
    // On a branch, HEAD names a ref that moves on each commit; the ref is a
    // loose file or a line of packed-refs (after `git gc`). Detached: none.
    if let Some(branch) = git(repo, &["symbolic-ref", "-q", "HEAD"]) {
        watch.extend(git(repo, &["rev-parse", "--git-path", &branch]));
    }
    watch.extend(git(repo, &["rev-parse", "--git-path", "packed-refs"]));
    for file in watch {
        let path = repo.join(file);
        if path.is_file() {
            println!("cargo:rerun-if-changed={}", path.display());
        }
    }
    git(repo, &["rev-parse", "--short", "HEAD"])
}

/// `SOURCE_DATE_EPOCH` or now, as `YYYY-MM-DDTHH:MM:SSZ`. A value that is
/// set but wrong stops the build: a reproducible build must not quietly
/// take the current time.
fn build_date() -> String {
    let ts = match env::var("SOURCE_DATE_EPOCH") {
        Ok(s) => s
            .trim()
            .parse::<i64>()
            .ok()
            .and_then(|secs| jiff::Timestamp::from_second(secs).ok())
            .unwrap_or_else(|| panic!("SOURCE_DATE_EPOCH={s:?} is not a Unix time in seconds")),
        Err(_) => jiff::Timestamp::now(),
    };
    ts.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
}
