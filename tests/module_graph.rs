//! The module graph of `src/`: which module refers to which, read from the source with
//! `syn`, and a failure for every import cycle (docs/architecture.md, "Dependencies").
//!
//! A module is a file (or an inline `mod` that is not test code). Module A depends on B
//! when A's non-test code names B or an item of B: in a `use`, a type, an expression or a
//! pattern, through `crate::`, `super::`, `self::`, a child module's name or a name a `use`
//! brought in. A parent naming its own descendants is not counted: declaring and
//! re-exporting children is what a parent is for. Every other edge counts, a child naming
//! its parent's items included, so a parent that is also a library cannot close a loop.
//!
//! `cargo test --test module_graph -- --nocapture` prints the graph's size and any cycle.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use syn::visit::Visit;

type ModPath = Vec<String>;

fn render(path: &[String]) -> String {
    if path.is_empty() {
        "crate".to_string()
    } else {
        path.join("::")
    }
}

/// Every module of the library with its source file, from the file tree and inline `mod`s.
struct Crate {
    files: Vec<(ModPath, syn::File)>,
    modules: BTreeSet<ModPath>,
}

fn module_path_of(src: &Path, file: &Path) -> ModPath {
    let relative = file.strip_prefix(src).expect("file under src");
    let mut parts: Vec<String> = relative
        .iter()
        .map(|part| part.to_string_lossy().into_owned())
        .collect();
    let last = parts.pop().expect("a file name");
    match last.as_str() {
        "lib.rs" | "mod.rs" => {}
        name => parts.push(name.trim_end_matches(".rs").to_string()),
    }
    parts
}

fn rust_files(dir: &Path, into: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("readable src directory") {
        let path = entry.expect("directory entry").path();
        if path.is_dir() {
            rust_files(&path, into);
        } else if path.extension().is_some_and(|ext| ext == "rs") {
            into.push(path);
        }
    }
}

fn is_test_code(attrs: &[syn::Attribute]) -> bool {
    attrs.iter().any(|attr| {
        attr.path().is_ident("cfg")
            && attr
                .parse_args::<syn::Meta>()
                .is_ok_and(|meta| meta.path().is_ident("test"))
    })
}

fn inline_modules(prefix: &ModPath, items: &[syn::Item], into: &mut BTreeSet<ModPath>) {
    for item in items {
        if let syn::Item::Mod(module) = item
            && let Some((_, content)) = &module.content
            && !is_test_code(&module.attrs)
        {
            let mut path = prefix.clone();
            path.push(module.ident.to_string());
            into.insert(path.clone());
            inline_modules(&path, content, into);
        }
    }
}

impl Crate {
    fn read(src: &Path) -> Self {
        let mut paths = Vec::new();
        rust_files(src, &mut paths);
        paths.sort();
        let mut files = Vec::new();
        let mut modules = BTreeSet::new();
        for path in paths {
            if path.parent() == Some(src) && path.file_name().is_some_and(|name| name == "main.rs")
            {
                continue; // the binary: it may import anything, `startup` included
            }
            let text = std::fs::read_to_string(&path).expect("readable source");
            let file = syn::parse_file(&text)
                .unwrap_or_else(|error| panic!("{} does not parse: {error}", path.display()));
            let module = module_path_of(src, &path);
            modules.insert(module.clone());
            inline_modules(&module, &file.items, &mut modules);
            files.push((module, file));
        }
        Crate { files, modules }
    }

    /// The longest known module that `path` (absolute, without `crate`) lies in.
    fn module_of(&self, path: &[String]) -> ModPath {
        (0..=path.len())
            .rev()
            .map(|len| path[..len].to_vec())
            .find(|prefix| self.modules.contains(prefix))
            .unwrap_or_default()
    }

    fn edges(&self) -> BTreeMap<ModPath, BTreeSet<ModPath>> {
        let mut edges: BTreeMap<ModPath, BTreeSet<ModPath>> = BTreeMap::new();
        for (module, file) in &self.files {
            let mut reader = References {
                krate: self,
                module: module.clone(),
                aliases: BTreeMap::new(),
                found: Vec::new(),
            };
            reader.read_items(&file.items);
            for (from, to) in reader.found {
                edges.entry(from).or_default().insert(to);
            }
        }
        for module in &self.modules {
            edges.entry(module.clone()).or_default();
        }
        edges
    }
}

/// Reads one module's items: the names its `use`s bring in, then every path it names.
struct References<'a> {
    krate: &'a Crate,
    module: ModPath,
    /// Names brought in by `use`, to their absolute paths.
    aliases: BTreeMap<String, ModPath>,
    found: Vec<(ModPath, ModPath)>,
}

impl References<'_> {
    fn read_items(&mut self, items: &[syn::Item]) {
        let outer_aliases = self.aliases.clone();
        for item in items {
            if let syn::Item::Use(item_use) = item
                && !is_test_code(&item_use.attrs)
            {
                let mut leaves = Vec::new();
                use_leaves(&item_use.tree, Vec::new(), &mut leaves);
                for (segments, name) in leaves {
                    if let Some(absolute) = self.resolve(&segments) {
                        self.note(&absolute);
                        if let Some(name) = name {
                            self.aliases.insert(name, absolute);
                        }
                    }
                }
            }
        }
        for item in items {
            match item {
                syn::Item::Use(_) => {}
                syn::Item::Mod(module) => {
                    if let Some((_, content)) = &module.content
                        && !is_test_code(&module.attrs)
                    {
                        let mut inner = self.module.clone();
                        inner.push(module.ident.to_string());
                        let outer = std::mem::replace(&mut self.module, inner);
                        let saved = std::mem::take(&mut self.aliases);
                        self.read_items(content);
                        self.aliases = saved;
                        self.module = outer;
                    }
                }
                item if is_test_code(item_attrs(item)) => {}
                item => self.visit_item(item),
            }
        }
        self.aliases = outer_aliases;
    }

    /// The absolute path (without `crate`) a path names, if it is in this crate.
    fn resolve(&self, segments: &[String]) -> Option<ModPath> {
        let (first, rest) = segments.split_first()?;
        let mut base = match first.as_str() {
            "crate" => Vec::new(),
            "self" => self.module.clone(),
            "super" => {
                let mut base = self.module.clone();
                base.pop();
                base
            }
            name => {
                let mut child = self.module.clone();
                child.push(name.to_string());
                if self.krate.modules.contains(&child) {
                    child
                } else if let Some(absolute) = self.aliases.get(name) {
                    absolute.clone()
                } else {
                    return None;
                }
            }
        };
        let mut rest = rest.iter().peekable();
        while let Some(segment) = rest.next() {
            if segment == "super" {
                base.pop();
            } else if segment != "self" {
                base.push(segment.clone());
                base.extend(rest.by_ref().cloned());
            }
        }
        Some(base)
    }

    fn note(&mut self, absolute: &[String]) {
        let target = self.krate.module_of(absolute);
        // A module naming itself or one of its descendants is not a dependency.
        if !target.starts_with(&self.module) {
            self.found.push((self.module.clone(), target));
        }
    }
}

fn item_attrs(item: &syn::Item) -> &[syn::Attribute] {
    match item {
        syn::Item::Const(item) => &item.attrs,
        syn::Item::Enum(item) => &item.attrs,
        syn::Item::Fn(item) => &item.attrs,
        syn::Item::Impl(item) => &item.attrs,
        syn::Item::Macro(item) => &item.attrs,
        syn::Item::Static(item) => &item.attrs,
        syn::Item::Struct(item) => &item.attrs,
        syn::Item::Trait(item) => &item.attrs,
        syn::Item::Type(item) => &item.attrs,
        _ => &[],
    }
}

/// Every leaf of a `use` tree: its full path and the name it brings in (none for globs).
fn use_leaves(
    tree: &syn::UseTree,
    prefix: Vec<String>,
    into: &mut Vec<(Vec<String>, Option<String>)>,
) {
    let mut path = prefix;
    match tree {
        syn::UseTree::Path(node) => {
            path.push(node.ident.to_string());
            use_leaves(&node.tree, path, into);
        }
        syn::UseTree::Name(node) => {
            let name = node.ident.to_string();
            if name != "self" {
                path.push(name.clone());
            }
            let alias = path.last().cloned();
            into.push((path, alias));
        }
        syn::UseTree::Rename(node) => {
            path.push(node.ident.to_string());
            into.push((path, Some(node.rename.to_string())));
        }
        syn::UseTree::Glob(_) => into.push((path, None)),
        syn::UseTree::Group(group) => {
            for tree in &group.items {
                use_leaves(tree, path.clone(), into);
            }
        }
    }
}

impl<'ast> Visit<'ast> for References<'_> {
    fn visit_path(&mut self, path: &'ast syn::Path) {
        let segments: Vec<String> = path
            .segments
            .iter()
            .map(|segment| segment.ident.to_string())
            .collect();
        if path.leading_colon.is_none()
            && let Some(absolute) = self.resolve(&segments)
        {
            self.note(&absolute);
        }
        syn::visit::visit_path(self, path);
    }

    fn visit_item_mod(&mut self, _: &'ast syn::ItemMod) {
        // Nested modules are read by `read_items`, with their own path.
    }

    fn visit_attribute(&mut self, _: &'ast syn::Attribute) {}
}

/// Strongly connected components with more than one module (Tarjan), each sorted.
fn cycles(edges: &BTreeMap<ModPath, BTreeSet<ModPath>>) -> Vec<Vec<ModPath>> {
    struct Search<'a> {
        edges: &'a BTreeMap<ModPath, BTreeSet<ModPath>>,
        index: BTreeMap<&'a ModPath, usize>,
        low: BTreeMap<&'a ModPath, usize>,
        stack: Vec<&'a ModPath>,
        on_stack: BTreeSet<&'a ModPath>,
        found: Vec<Vec<ModPath>>,
    }
    impl<'a> Search<'a> {
        fn connect(&mut self, node: &'a ModPath) {
            let next = self.index.len();
            self.index.insert(node, next);
            self.low.insert(node, next);
            self.stack.push(node);
            self.on_stack.insert(node);
            for target in &self.edges[node] {
                if !self.index.contains_key(target) {
                    self.connect(target);
                    let low = self.low[node].min(self.low[target]);
                    self.low.insert(node, low);
                } else if self.on_stack.contains(target) {
                    let low = self.low[node].min(self.index[target]);
                    self.low.insert(node, low);
                }
            }
            if self.low[node] == self.index[node] {
                let mut component = Vec::new();
                while let Some(member) = self.stack.pop() {
                    self.on_stack.remove(member);
                    component.push(member.clone());
                    if member == node {
                        break;
                    }
                }
                if component.len() > 1 {
                    component.sort();
                    self.found.push(component);
                }
            }
        }
    }
    let mut search = Search {
        edges,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        found: Vec::new(),
    };
    for node in edges.keys() {
        if !search.index.contains_key(node) {
            search.connect(node);
        }
    }
    search.found
}

fn library() -> Crate {
    Crate::read(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src"))
}

#[test]
fn no_module_imports_a_module_that_imports_it_back() {
    let edges = library().edges();
    let found = cycles(&edges);
    println!(
        "module graph: {} modules, {} edges, {} cycles",
        edges.len(),
        edges.values().map(BTreeSet::len).sum::<usize>(),
        found.len()
    );
    let mut report = String::new();
    for component in &found {
        report.push_str(&format!(
            "cycle among {}:\n",
            component
                .iter()
                .map(|m| render(m))
                .collect::<Vec<_>>()
                .join(", ")
        ));
        for from in component {
            for to in edges[from].iter().filter(|to| component.contains(to)) {
                report.push_str(&format!("  {} -> {}\n", render(from), render(to)));
            }
        }
    }
    print!("{report}");
    assert!(found.is_empty(), "import cycles in src/:\n{report}");
}

#[test]
fn only_the_binary_and_the_tests_import_startup() {
    let edges = library().edges();
    let startup = vec!["startup".to_string()];
    let importers: Vec<String> = edges
        .iter()
        .filter(|(_, targets)| targets.contains(&startup))
        .map(|(from, _)| render(from))
        .collect();
    assert!(importers.is_empty(), "startup is imported by {importers:?}");
}

#[test]
fn a_cycle_is_found_and_a_parent_naming_its_children_is_not_one() {
    let text = |source: &str| syn::parse_file(source).expect("valid Rust");
    let krate = Crate {
        files: vec![
            (vec![], text("pub mod a; pub mod b; pub use a::Thing;")),
            (vec!["a".into()], text("pub struct Thing(crate::b::Other);")),
            (
                vec!["b".into()],
                text("use super::a; pub struct Other; fn f(_: a::Thing) {}"),
            ),
        ],
        modules: [vec![], vec!["a".into()], vec!["b".into()]]
            .into_iter()
            .collect(),
    };
    let found = cycles(&krate.edges());
    assert_eq!(
        found,
        vec![vec![vec!["a".to_string()], vec!["b".to_string()]]]
    );

    let acyclic = Crate {
        files: vec![
            (vec![], text("pub mod a; pub mod b; pub use a::Thing;")),
            (vec!["a".into()], text("pub struct Thing(crate::b::Other);")),
            (
                vec!["b".into()],
                text("pub struct Other; #[cfg(test)] mod tests { use crate::a::Thing; }"),
            ),
        ],
        modules: [vec![], vec!["a".into()], vec!["b".into()]]
            .into_iter()
            .collect(),
    };
    assert!(cycles(&acyclic.edges()).is_empty());
}

/// The same graph with every module folded into its top-level module (`store`, `api`, ...).
fn top_level(edges: &BTreeMap<ModPath, BTreeSet<ModPath>>) -> BTreeMap<ModPath, BTreeSet<ModPath>> {
    let fold = |path: &ModPath| path.iter().take(1).cloned().collect::<ModPath>();
    let mut folded: BTreeMap<ModPath, BTreeSet<ModPath>> = BTreeMap::new();
    for (from, targets) in edges {
        let entry = folded.entry(fold(from)).or_default();
        entry.extend(
            targets
                .iter()
                .map(fold)
                .filter(|to| *to != fold(from) && !to.is_empty()),
        );
    }
    folded
}

#[test]
fn layers_depend_one_way() {
    let edges = top_level(&library().edges());
    for (from, targets) in &edges {
        println!(
            "{} -> {}",
            render(from),
            targets
                .iter()
                .map(|m| render(m))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    let found = cycles(&edges);
    assert!(found.is_empty(), "layers in a cycle: {found:?}");
}
