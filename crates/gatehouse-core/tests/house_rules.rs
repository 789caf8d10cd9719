//! The house rules of the whole workspace, checked on its source (issue 10):
//! - no non-test source file over 600 lines;
//! - no non-test function over 80 lines;
//! - no circular `use` between the files of a crate.
//!
//! Test code does not count: `#[cfg(test)]` items, files only declared under `#[cfg(test)]`,
//! and everything under a crate's `tests/`, `benches/` and `examples/`.

use proc_macro2::Span;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use syn::spanned::Spanned;
use syn::visit::Visit;

const MAX_FILE_LINES: usize = 600;
const MAX_FN_LINES: usize = 80;

/// One source file of a crate, with its module path (`["scim", "batch"]`).
struct SourceFile {
    path: PathBuf,
    module: Vec<String>,
    ast: syn::File,
    text: String,
}

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

fn is_cfg_test(attrs: &[syn::Attribute]) -> bool {
    attrs.iter().any(|a| {
        a.path().is_ident("cfg")
            && a.meta
                .require_list()
                .is_ok_and(|l| l.tokens.to_string().contains("test"))
    })
}

/// Reads a crate's non-test module tree from its root file, following `mod x;` declarations.
fn load_crate(root: &Path) -> Vec<SourceFile> {
    let mut out = Vec::new();
    load_module(root, Vec::new(), &mut out);
    out
}

fn load_module(path: &Path, module: Vec<String>, out: &mut Vec<SourceFile>) {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let ast = syn::parse_file(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let is_mod_rs = matches!(
        path.file_name().and_then(|f| f.to_str()),
        Some("mod.rs" | "lib.rs" | "main.rs")
    );
    let dir = if is_mod_rs {
        path.parent().unwrap().to_path_buf()
    } else {
        path.with_extension("")
    };
    for item in &ast.items {
        if let syn::Item::Mod(m) = item
            && m.content.is_none()
            && !is_cfg_test(&m.attrs)
        {
            let name = m.ident.to_string();
            let explicit = m.attrs.iter().find_map(|a| {
                if !a.path().is_ident("path") {
                    return None;
                }
                let syn::Meta::NameValue(nv) = &a.meta else { return None };
                let syn::Expr::Lit(syn::ExprLit {
                    lit: syn::Lit::Str(s), ..
                }) = &nv.value
                else {
                    return None;
                };
                Some(path.parent().unwrap().join(s.value()))
            });
            let child = explicit.unwrap_or_else(|| {
                let flat = dir.join(format!("{name}.rs"));
                if flat.exists() {
                    flat
                } else {
                    dir.join(&name).join("mod.rs")
                }
            });
            let mut sub = module.clone();
            sub.push(name);
            load_module(&child, sub, out);
        }
    }
    out.push(SourceFile {
        path: path.to_path_buf(),
        module,
        ast,
        text,
    });
}

fn crate_roots() -> Vec<PathBuf> {
    let crates = workspace_root().join("crates");
    let mut roots = Vec::new();
    for entry in std::fs::read_dir(&crates).unwrap() {
        let src = entry.unwrap().path().join("src");
        for root in ["lib.rs", "main.rs"] {
            if src.join(root).exists() {
                roots.push(src.join(root));
            }
        }
    }
    roots.sort();
    roots
}

/// Lines of a span, inclusive.
fn lines(span: Span) -> usize {
    span.end().line - span.start().line + 1
}

/// Lines of the file that belong to `#[cfg(test)]` items written inline.
fn inline_test_lines(ast: &syn::File) -> usize {
    ast.items
        .iter()
        .filter(|i| match i {
            syn::Item::Mod(m) => is_cfg_test(&m.attrs) && m.content.is_some(),
            syn::Item::Fn(f) => is_cfg_test(&f.attrs),
            syn::Item::Impl(i) => is_cfg_test(&i.attrs),
            _ => false,
        })
        .map(|i| lines(i.span()))
        .sum()
}

/// Every function and method outside test code, with its length in lines.
#[derive(Default)]
struct Functions {
    found: Vec<(String, usize, usize)>,
}

impl<'ast> Visit<'ast> for Functions {
    fn visit_item_mod(&mut self, m: &'ast syn::ItemMod) {
        if !is_cfg_test(&m.attrs) {
            syn::visit::visit_item_mod(self, m);
        }
    }
    fn visit_item_impl(&mut self, i: &'ast syn::ItemImpl) {
        if !is_cfg_test(&i.attrs) {
            syn::visit::visit_item_impl(self, i);
        }
    }
    fn visit_item_fn(&mut self, f: &'ast syn::ItemFn) {
        if !is_cfg_test(&f.attrs) {
            self.found
                .push((f.sig.ident.to_string(), f.span().start().line, lines(f.span())));
            syn::visit::visit_item_fn(self, f);
        }
    }
    fn visit_impl_item_fn(&mut self, f: &'ast syn::ImplItemFn) {
        if !is_cfg_test(&f.attrs) {
            self.found
                .push((f.sig.ident.to_string(), f.span().start().line, lines(f.span())));
            syn::visit::visit_impl_item_fn(self, f);
        }
    }
    fn visit_trait_item_fn(&mut self, f: &'ast syn::TraitItemFn) {
        if f.default.is_some() {
            self.found
                .push((f.sig.ident.to_string(), f.span().start().line, lines(f.span())));
        }
        syn::visit::visit_trait_item_fn(self, f);
    }
}

/// The module paths a file names through `use` and through paths in its code, as written
/// (`crate::a::b`, `super::x`, `self::y`, or a child module's name).
#[derive(Default)]
struct Names {
    paths: Vec<Vec<String>>,
}

impl Names {
    fn use_tree(&mut self, prefix: &mut Vec<String>, tree: &syn::UseTree) {
        match tree {
            syn::UseTree::Path(p) => {
                prefix.push(p.ident.to_string());
                self.use_tree(prefix, &p.tree);
                prefix.pop();
            }
            syn::UseTree::Name(n) => {
                let mut full = prefix.clone();
                full.push(n.ident.to_string());
                self.paths.push(full);
            }
            syn::UseTree::Rename(r) => {
                let mut full = prefix.clone();
                full.push(r.ident.to_string());
                self.paths.push(full);
            }
            syn::UseTree::Glob(_) => self.paths.push(prefix.clone()),
            syn::UseTree::Group(g) => {
                for t in &g.items {
                    self.use_tree(prefix, t);
                }
            }
        }
    }
}

impl<'ast> Visit<'ast> for Names {
    fn visit_item_mod(&mut self, m: &'ast syn::ItemMod) {
        if !is_cfg_test(&m.attrs) {
            syn::visit::visit_item_mod(self, m);
        }
    }
    fn visit_item_impl(&mut self, i: &'ast syn::ItemImpl) {
        if !is_cfg_test(&i.attrs) {
            syn::visit::visit_item_impl(self, i);
        }
    }
    fn visit_item_fn(&mut self, f: &'ast syn::ItemFn) {
        if !is_cfg_test(&f.attrs) {
            syn::visit::visit_item_fn(self, f);
        }
    }
    fn visit_item_use(&mut self, u: &'ast syn::ItemUse) {
        if !is_cfg_test(&u.attrs) {
            self.use_tree(&mut Vec::new(), &u.tree);
        }
    }
    // `pub(crate)` and `pub(super)` name a module but import nothing.
    fn visit_visibility(&mut self, _: &'ast syn::Visibility) {}
    fn visit_path(&mut self, p: &'ast syn::Path) {
        self.paths
            .push(p.segments.iter().map(|s| s.ident.to_string()).collect());
        syn::visit::visit_path(self, p);
    }
}

/// What a file's `use` items name: alias -> path as written. A reference through an alias
/// (a re-export such as `pub use timestamp::Timestamp` in lib.rs) is a reference to the file
/// that defines the item, not to the file that re-exports it.
type Aliases = BTreeMap<Vec<String>, BTreeMap<String, Vec<String>>>;

fn aliases_of(ast: &syn::File) -> BTreeMap<String, Vec<String>> {
    fn walk(prefix: &mut Vec<String>, tree: &syn::UseTree, out: &mut BTreeMap<String, Vec<String>>) {
        match tree {
            syn::UseTree::Path(p) => {
                prefix.push(p.ident.to_string());
                walk(prefix, &p.tree, out);
                prefix.pop();
            }
            syn::UseTree::Name(n) => {
                let mut full = prefix.clone();
                full.push(n.ident.to_string());
                out.insert(n.ident.to_string(), full);
            }
            syn::UseTree::Rename(r) => {
                let mut full = prefix.clone();
                full.push(r.ident.to_string());
                out.insert(r.rename.to_string(), full);
            }
            syn::UseTree::Glob(_) => {}
            syn::UseTree::Group(g) => {
                for t in &g.items {
                    walk(prefix, t, out);
                }
            }
        }
    }
    let mut out = BTreeMap::new();
    for item in &ast.items {
        if let syn::Item::Use(u) = item
            && !is_cfg_test(&u.attrs)
        {
            walk(&mut Vec::new(), &u.tree, &mut out);
        }
    }
    out
}

/// Resolves a path written in module `from` to the file (module path) that defines what it
/// names, following re-exports; `None` when that is outside the crate.
fn resolve(from: &[String], path: &[String], files: &Aliases, depth: u8) -> Option<Vec<String>> {
    let (mut base, rest) = match path.first().map(String::as_str) {
        Some("crate") => (Vec::new(), &path[1..]),
        Some("self") => (from.to_vec(), &path[1..]),
        Some("super") => {
            let mut base = from.to_vec();
            let mut rest = path;
            while rest.first().map(String::as_str) == Some("super") {
                base.pop();
                rest = &rest[1..];
            }
            (base, rest)
        }
        Some(first) => {
            let mut child = from.to_vec();
            child.push(first.to_owned());
            if !files.contains_key(&child) {
                return None;
            }
            (from.to_vec(), path)
        }
        None => return None,
    };
    let mut rest = rest;
    while let Some(segment) = rest.first() {
        let mut deeper = base.clone();
        deeper.push(segment.clone());
        if files.contains_key(&deeper) {
            base = deeper;
            rest = &rest[1..];
        } else {
            break;
        }
    }
    // The item may be a re-export: follow it to where it is defined.
    if let Some(first) = rest.first()
        && depth < 8
        && let Some(alias) = files.get(&base).and_then(|a| a.get(first))
        && alias.first().map(String::as_str) != Some(first.as_str())
        && let Some(target) = resolve(&base, alias, files, depth + 1)
    {
        return Some(target);
    }
    Some(base)
}

/// The import graph of a crate's files, minus `mod` declarations (a parent declaring a child
/// is not an import).
fn import_graph(files: &[SourceFile]) -> BTreeMap<Vec<String>, BTreeSet<Vec<String>>> {
    import_edges(files)
        .into_iter()
        .map(|(from, to)| (from, to.into_keys().collect()))
        .collect()
}

/// Like `import_graph`, with the first path written that makes each edge (for the message).
fn import_edges(files: &[SourceFile]) -> BTreeMap<Vec<String>, BTreeMap<Vec<String>, String>> {
    let aliases: Aliases = files.iter().map(|f| (f.module.clone(), aliases_of(&f.ast))).collect();
    let mut graph = BTreeMap::new();
    for f in files {
        let mut names = Names::default();
        names.visit_file(&f.ast);
        let mut targets = BTreeMap::new();
        for p in &names.paths {
            if let Some(t) = resolve(&f.module, p, &aliases, 0)
                && t != f.module
            {
                targets.entry(t).or_insert_with(|| p.join("::"));
            }
        }
        graph.insert(f.module.clone(), targets);
    }
    graph
}

/// The groups of files that import each other in a circle.
fn find_cycle(graph: &BTreeMap<Vec<String>, BTreeSet<Vec<String>>>) -> Vec<Vec<Vec<String>>> {
    // Tarjan's strongly connected components: every component of more than one file is a cycle.
    struct State<'g> {
        graph: &'g BTreeMap<Vec<String>, BTreeSet<Vec<String>>>,
        index: BTreeMap<&'g Vec<String>, usize>,
        low: BTreeMap<&'g Vec<String>, usize>,
        stack: Vec<&'g Vec<String>>,
        on_stack: BTreeSet<&'g Vec<String>>,
        next: usize,
        out: Vec<Vec<Vec<String>>>,
    }
    fn strong<'g>(s: &mut State<'g>, v: &'g Vec<String>) {
        s.index.insert(v, s.next);
        s.low.insert(v, s.next);
        s.next += 1;
        s.stack.push(v);
        s.on_stack.insert(v);
        for w in s.graph.get(v).into_iter().flatten() {
            let Some((w, _)) = s.graph.get_key_value(w) else {
                continue;
            };
            if !s.index.contains_key(w) {
                strong(s, w);
                let lw = s.low[w];
                let lv = s.low.get_mut(v).unwrap();
                *lv = (*lv).min(lw);
            } else if s.on_stack.contains(w) {
                let iw = s.index[w];
                let lv = s.low.get_mut(v).unwrap();
                *lv = (*lv).min(iw);
            }
        }
        if s.low[v] == s.index[v] {
            let mut component = Vec::new();
            while let Some(w) = s.stack.pop() {
                s.on_stack.remove(w);
                component.push(w.clone());
                if w == v {
                    break;
                }
            }
            if component.len() > 1 {
                s.out.push(component);
            }
        }
    }
    let mut s = State {
        graph,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        next: 0,
        out: Vec::new(),
    };
    for v in graph.keys() {
        if !s.index.contains_key(v) {
            strong(&mut s, v);
        }
    }
    s.out
}

fn show(path: &Path) -> String {
    path.strip_prefix(workspace_root())
        .unwrap_or(path)
        .display()
        .to_string()
}

#[test]
fn no_source_file_is_over_600_lines_of_non_test_code() {
    let mut over = Vec::new();
    for root in crate_roots() {
        for f in load_crate(&root) {
            let n = f.text.lines().count() - inline_test_lines(&f.ast);
            if n > MAX_FILE_LINES {
                over.push(format!("{}: {n} lines", show(&f.path)));
            }
        }
    }
    assert!(
        over.is_empty(),
        "files over {MAX_FILE_LINES} lines:\n{}",
        over.join("\n")
    );
}

#[test]
fn no_function_is_over_80_lines() {
    let mut over = Vec::new();
    for root in crate_roots() {
        for f in load_crate(&root) {
            let mut fns = Functions::default();
            fns.visit_file(&f.ast);
            for (name, line, n) in fns.found {
                if n > MAX_FN_LINES {
                    over.push(format!("{}:{line} {name}: {n} lines", show(&f.path)));
                }
            }
        }
    }
    assert!(
        over.is_empty(),
        "functions over {MAX_FN_LINES} lines:\n{}",
        over.join("\n")
    );
}

#[test]
fn no_two_files_of_a_crate_import_each_other_in_a_circle() {
    let mut cycles = Vec::new();
    for root in crate_roots() {
        let files = load_crate(&root);
        let graph = import_graph(&files);
        let edges = import_edges(&files);
        let name = |m: &Vec<String>| files.iter().find(|f| &f.module == m).map(|f| show(&f.path)).unwrap();
        for component in find_cycle(&graph) {
            let mut lines = vec![component.iter().map(name).collect::<Vec<_>>().join(" <-> ")];
            for from in &component {
                for (to, via) in &edges[from] {
                    if component.contains(to) {
                        lines.push(format!("    {} -> {} (`{via}`)", name(from), name(to)));
                    }
                }
            }
            cycles.push(lines.join("\n"));
        }
    }
    assert!(
        cycles.is_empty(),
        "files importing each other in a circle:\n{}",
        cycles.join("\n")
    );
}

#[test]
fn the_cycle_finder_sees_a_parent_and_child_that_import_each_other() {
    let file = |module: &[&str], src: &str| SourceFile {
        path: PathBuf::from(module.join("/")),
        module: module.iter().map(|s| (*s).to_owned()).collect(),
        ast: syn::parse_file(src).unwrap(),
        text: src.to_owned(),
    };
    let files = vec![
        file(&[], "mod a; mod b;"),
        file(&["a"], "mod child; pub use child::Thing; pub struct Hub;"),
        file(&["a", "child"], "use super::Hub; pub struct Thing;"),
        file(&["b"], "use crate::a::Thing;"),
    ];
    let cycles = find_cycle(&import_graph(&files));
    assert_eq!(cycles.len(), 1, "{cycles:?}");
    let members: BTreeSet<_> = cycles[0].iter().cloned().collect();
    assert!(members.contains(&vec!["a".to_owned()]) && members.contains(&vec!["a".to_owned(), "child".to_owned()]));

    let acyclic = vec![
        file(&[], "mod a;"),
        file(&["a"], "mod child; mod hub; pub use child::Thing;"),
        file(&["a", "hub"], "pub struct Hub;"),
        file(&["a", "child"], "use super::hub::Hub; pub struct Thing;"),
    ];
    assert!(find_cycle(&import_graph(&acyclic)).is_empty());
}

#[test]
fn long_functions_and_test_code_are_told_apart() {
    let body = "let _x = 1;\n".repeat(90);
    let src = format!("fn long() {{\n{body}}}\n#[cfg(test)]\nmod tests {{\n fn also_long() {{\n{body}}}\n}}\n");
    let ast = syn::parse_file(&src).unwrap();
    let mut fns = Functions::default();
    fns.visit_file(&ast);
    assert_eq!(fns.found.len(), 1);
    assert_eq!(fns.found[0].0, "long");
    assert!(fns.found[0].2 > MAX_FN_LINES);
    assert!(inline_test_lines(&ast) > 90);
}
