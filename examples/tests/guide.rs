//! docs/protect-your-server.md shows the notes server whole; this keeps that copy identical to
//! `src/bin/notes.rs`, which the workspace compiles, so the guide's imports and its
//! `StreamableHttpService::new(...)` are code that builds.

/// The first `rust` block after the heading `## 2. Wire it in`.
fn guide_code(guide: &str) -> Option<&str> {
    let section = &guide[guide.find("## 2. Wire it in")?..];
    let start = section.find("```rust\n")? + "```rust\n".len();
    let len = section[start..].find("\n```")?;
    Some(&section[start..start + len])
}

#[test]
fn the_guide_shows_the_notes_server_as_it_is() {
    let root = env!("CARGO_MANIFEST_DIR");
    let guide = std::fs::read_to_string(format!("{root}/../docs/protect-your-server.md")).expect("guide");
    let notes = std::fs::read_to_string(format!("{root}/src/bin/notes.rs")).expect("notes.rs");
    let code: Vec<&str> = notes.lines().filter(|l| !l.starts_with("//!")).collect();
    let shown = guide_code(&guide).expect("a rust block in section 2 of the guide");
    assert_eq!(shown.lines().collect::<Vec<_>>(), code, "docs/protect-your-server.md section 2");
}

#[test]
fn a_guide_without_the_block_is_noticed() {
    assert_eq!(guide_code("## 2. Wire it in\n\nno code here\n"), None);
    assert_eq!(guide_code("## 2. Wire it in\n```rust\nlet x = 1;\n```\n"), Some("let x = 1;"));
}
