//! Finding rule files: `.yml`/`.yaml` under the given paths, in sorted order,
//! honouring `.gitignore`, `.ignore` and the configuration's `exclude` globs.

use std::path::{Path, PathBuf};

use ignore::WalkBuilder;
use ignore::overrides::{Override, OverrideBuilder};

use crate::Error;

/// Whether `path` has a YAML extension.
pub fn is_yaml(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("yml") || e.eq_ignore_ascii_case("yaml"))
}

/// The YAML files under `paths`, sorted and without repeats. A file named
/// directly is always included; files found by walking a folder are
/// filtered by ignore files and `exclude` (globs relative to `root`).
pub fn discover(paths: &[PathBuf], root: &Path, exclude: &[String]) -> Result<Vec<PathBuf>, Error> {
    let excludes = excludes(root, exclude)?;
    let mut files = Vec::new();
    for path in paths {
        if path.is_file() {
            files.push(path.clone());
            continue;
        }
        if !path.is_dir() {
            return Err(Error::MissingPath(path.clone()));
        }
        let walker = WalkBuilder::new(path)
            .standard_filters(true)
            .require_git(false)
            .sort_by_file_name(std::cmp::Ord::cmp)
            .build();
        for entry in walker {
            let entry = entry.map_err(|e| Error::Io {
                path: path.clone(),
                source: std::io::Error::other(e.to_string()),
            })?;
            let file = entry.path();
            if !entry.file_type().is_some_and(|t| t.is_file()) || !is_yaml(file) {
                continue;
            }
            let relative = std::path::absolute(file).ok();
            let relative = relative
                .as_deref()
                .and_then(|f| f.strip_prefix(root_abs(root)?).ok())
                .unwrap_or(file);
            if excludes.matched(relative, false).is_ignore() {
                continue;
            }
            files.push(file.to_owned());
        }
    }
    files.sort();
    files.dedup();
    Ok(files)
}

fn root_abs(root: &Path) -> Option<PathBuf> {
    std::path::absolute(root).ok()
}

fn excludes(root: &Path, exclude: &[String]) -> Result<Override, Error> {
    let mut builder = OverrideBuilder::new(root);
    for glob in exclude {
        builder
            .add(&format!("!{glob}"))
            .map_err(|e| Error::Config {
                path: root.join(crate::config::CONFIG_FILE),
                message: format!("invalid exclude glob `{glob}`: {e}"),
            })?;
    }
    builder.build().map_err(|e| Error::Config {
        path: root.join(crate::config::CONFIG_FILE),
        message: e.to_string(),
    })
}

/// A path as shown in reports: forward slashes, no leading `./`.
pub fn display_path(path: &Path) -> String {
    let text = path.to_string_lossy().replace('\\', "/");
    text.strip_prefix("./").map_or(text.clone(), str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_yaml_sorted_and_honours_ignores() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        for file in [
            "b.yml",
            "a.yaml",
            "c.txt",
            "sub/d.yml",
            "ignored/e.yml",
            "drafts/f.yml",
        ] {
            let path = root.join(file);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, "x: 1\n").unwrap();
        }
        std::fs::write(root.join(".gitignore"), "ignored/\n").unwrap();
        let found = discover(&[root.to_owned()], root, &["drafts/**".to_owned()]).unwrap();
        let names: Vec<_> = found
            .iter()
            .map(|p| display_path(p.strip_prefix(root).unwrap()))
            .collect();
        assert_eq!(names, ["a.yaml", "b.yml", "sub/d.yml"]);
    }

    #[test]
    fn a_missing_path_is_an_error() {
        assert!(matches!(
            discover(&["/nonexistent/x".into()], Path::new("."), &[]),
            Err(Error::MissingPath(_))
        ));
    }
}
