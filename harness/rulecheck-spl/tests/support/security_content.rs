//! Loading the security_content corpus for the corpus tests and the
//! benchmark: its macros (with those it calls but does not ship) and its
//! detections' searches.

// Each user needs only some of these helpers; a panic is a failing test.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};

use rulecheck_core::yaml;
use rulecheck_spl::{Context, Macros, Search, compile_str};

/// Macros `security_content` calls but does not ship in `macros/`.
pub(crate) const ESCU_EXTRA_MACROS: &[(&str, &[&str], &str)] = &[
    // Shipped by Splunk's CIM app.
    ("drop_dm_object_name", &["object"], "rename $object$.* AS *"),
    (
        "cim_corporate_web_domain_search",
        &["domain"],
        "search NOT $domain$=\"*corp.example\"",
    ),
    // Shipped by Enterprise Security's asset and identity framework.
    (
        "get_asset",
        &["field"],
        "lookup asset_lookup_by_str key as $field$",
    ),
];

/// Every `.yml` file below `dir`, sorted.
pub(crate) fn yaml_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            yaml_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "yml") {
            out.push(path);
        }
    }
}

/// The macros of the security_content checkout at `root`, the extra ones
/// above, and undefined `_filter` hooks read as `search *`.
pub(crate) fn escu_macros(root: &Path) -> Macros {
    let (macros, _) = Macros::from_escu_dir(&root.join("macros")).unwrap();
    let mut macros = macros.with_undefined_filters_passing(true);
    for (name, args, definition) in ESCU_EXTRA_MACROS {
        let args = args.iter().map(|a| (*a).to_owned()).collect();
        macros.insert_with_arguments(*name, args, *definition);
    }
    macros
}

/// Every detection of `root` whose search compiles, by file stem, and the
/// number of detections with a search.
pub(crate) fn compile_detections(root: &Path, ctx: &Context) -> (Vec<(String, Search)>, usize) {
    let macros = escu_macros(root);
    let mut files = Vec::new();
    yaml_files(&root.join("detections"), &mut files);
    let mut rules = Vec::new();
    let mut total = 0;
    for path in files {
        let text = std::fs::read_to_string(&path).unwrap();
        let loaded = yaml::load(&text, &yaml::Limits::default());
        let Some(query) = loaded
            .documents
            .first()
            .and_then(|d| d.get("search"))
            .and_then(|n| n.as_str())
        else {
            continue;
        };
        total += 1;
        if let Ok(search) = compile_str(query, &macros, ctx) {
            let name = path.file_stem().unwrap().to_string_lossy().into_owned();
            rules.push((name, search));
        }
    }
    (rules, total)
}
