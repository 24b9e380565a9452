//! JVM views: named sets of imports that simple class names are resolved against.

use std::collections::BTreeMap;

use parking_lot::RwLock;

#[derive(Debug, Default)]
struct Imports {
    /// Simple name to fully qualified name.
    single: BTreeMap<String, String>,
    /// Packages imported with `pkg.*`, in import order (`java.lang` first).
    star: Vec<String>,
    /// Bumped by every change to the single imports (clients cache `dir(view)` by it).
    sequence: u64,
}

/// One view.
#[derive(Debug)]
pub struct View {
    imports: RwLock<Imports>,
}

impl Default for View {
    fn default() -> Self {
        View::new()
    }
}

impl View {
    /// A view with `java.lang.*` imported (its name lives in its Java object).
    pub fn new() -> View {
        View {
            imports: RwLock::new(Imports {
                star: vec!["java.lang".into()],
                ..Imports::default()
            }),
        }
    }

    /// Imports `a.b.C` or `a.b.*`.
    pub fn import(&self, import: &str) {
        let mut imp = self.imports.write();
        if let Some(pkg) = import.strip_suffix(".*") {
            if !imp.star.iter().any(|p| p == pkg) {
                imp.star.push(pkg.to_owned());
            }
        } else {
            let simple = import.rsplit('.').next().unwrap_or(import).to_owned();
            imp.single.insert(simple, import.to_owned());
            imp.sequence += 1;
        }
    }

    /// Removes an import; whether it was there.
    pub fn remove_import(&self, import: &str) -> bool {
        let mut imp = self.imports.write();
        if let Some(pkg) = import.strip_suffix(".*") {
            let before = imp.star.len();
            imp.star.retain(|p| p != pkg);
            before != imp.star.len()
        } else {
            let simple = import.rsplit('.').next().unwrap_or(import);
            let removed = imp.single.get(simple).is_some_and(|f| f == import);
            if removed {
                imp.single.remove(simple);
                imp.sequence += 1;
            }
            removed
        }
    }

    /// The single import for a simple name, and the star-imported packages.
    pub fn lookup(&self, simple: &str) -> (Option<String>, Vec<String>) {
        let imp = self.imports.read();
        (imp.single.get(simple).cloned(), imp.star.clone())
    }

    /// The sequence number and the simple names of the single imports.
    pub fn imported_names(&self) -> (u64, Vec<String>) {
        let imp = self.imports.read();
        (imp.sequence, imp.single.keys().cloned().collect())
    }
}
