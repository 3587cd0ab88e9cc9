//! The lines of a case file around one of its checks, with a marker under the check's column:
//! shown under a failed finding so that a reader sees which written check found it, Hurl-style.
//!
//! ```text
//!    |
//! 30 |         expect:
//! 31 |           checks: [{at: body.tags, contains: a}]
//!    |               ^ expected it to contain "a", got []
//! 32 |       - request: ...
//!    |
//! ```

use crate::yaml::Pos;
use std::fmt::Write;
use std::ops::RangeInclusive;

/// Lines shown before and after the marked one.
const CONTEXT: usize = 2;
/// The most characters of a line shown: a longer line is cut to a window around the column.
const WIDTH: usize = 160;
/// A tab is shown as this many spaces, so the marker lines up whatever the reader's tab stops.
const TAB: usize = 4;

/// `cases/tags.yaml:31:15`: where an editor or terminal jumps to the check.
pub fn location(file: &str, at: Pos) -> String {
    format!("{file}:{at}")
}

/// The case's lines around `at` in `text` (the whole case file), numbered, with `note` at a
/// marker under `at`'s column (counted in characters). Only lines of `case_lines` are shown; a
/// position outside them (or outside the text) marks the nearest line of the case instead.
pub fn excerpt(text: &str, case_lines: RangeInclusive<usize>, at: Pos, note: &str) -> String {
    let lines: Vec<&str> = text.lines().collect();
    let first = (*case_lines.start()).max(1);
    let last = (*case_lines.end()).min(lines.len());
    if first > last {
        // The case is not in this text (a stale or foreign position): nothing to show but the note.
        return format!("  |\n  = {note}\n");
    }
    let (line, column) = clamp(&lines, first..=last, at);
    let marked = shown(lines[line - 1]);
    let col = display_column(lines[line - 1], column);
    let start = window(marked.len(), col);
    let from = line.saturating_sub(CONTEXT).max(first);
    let to = (line + CONTEXT).min(last);
    let width = to.to_string().len();
    let blank = format!("{:width$} |", "");
    let mut s = format!("{blank}\n");
    for n in from..=to {
        // Only the marked line is windowed: the lines around it stay readable from their start.
        let text = cut(&shown(lines[n - 1]), if n == line { start } else { 0 });
        let _ = writeln!(s, "{}", format!("{n:>width$} | {text}").trim_end());
        if n == line {
            let pad = col - start + usize::from(start > 0);
            marker(&mut s, &blank, pad, note);
        }
    }
    let _ = writeln!(s, "{blank}");
    s
}

/// The line and column to mark: `at` itself when it is on a line of the case, else the first
/// non-blank character of the case's line nearest to it. The column may point just past the
/// line's end (a check written as the line's last thing), no further.
fn clamp(lines: &[&str], case: RangeInclusive<usize>, at: Pos) -> (usize, usize) {
    if case.contains(&at.line) {
        let len = lines[at.line - 1].chars().count();
        return (at.line, at.column.clamp(1, len + 1));
    }
    let line = at.line.clamp(*case.start(), *case.end());
    let indent = lines[line - 1]
        .chars()
        .take_while(|c| c.is_whitespace())
        .count();
    (line, indent + 1)
}

/// A line as printed: tabs as spaces, and control characters (a stray `\r`) as `�`, so that
/// every character takes one place and the marker below lines up.
fn shown(line: &str) -> Vec<char> {
    line.chars()
        .flat_map(|c| match c {
            '\t' => vec![' '; TAB],
            c if c.is_control() => vec!['\u{FFFD}'],
            c => vec![c],
        })
        .collect()
}

/// Where `column` (1-based, in characters of the raw line) falls in the shown line (0-based).
fn display_column(line: &str, column: usize) -> usize {
    line.chars()
        .take(column - 1)
        .map(|c| if c == '\t' { TAB } else { 1 })
        .sum()
}

/// The first shown character of the marked line: 0 unless it is too long to show whole, then
/// a window that keeps the column in sight.
fn window(len: usize, col: usize) -> usize {
    if len <= WIDTH || col < WIDTH / 2 {
        0
    } else {
        (col - WIDTH / 2).min(len + 1 - WIDTH)
    }
}

/// `WIDTH` characters of a line from `start`, an ellipsis where text is left out.
fn cut(chars: &[char], start: usize) -> String {
    let mut s = String::new();
    if start > 0 {
        s.push('…');
    }
    let end = chars.len().min(start + WIDTH);
    s.extend(chars.get(start..end).unwrap_or_default());
    if chars.len() > start + WIDTH {
        s.push('…');
    }
    s
}

/// `^ note` under the column, further lines of the note aligned after the caret.
fn marker(s: &mut String, blank: &str, pad: usize, note: &str) {
    let mut notes = note.lines();
    let head = notes.next().unwrap_or("");
    let _ = writeln!(s, "{}", format!("{blank} {:pad$}^ {head}", "").trim_end());
    for more in notes {
        let _ = writeln!(s, "{}", format!("{blank} {:pad$}  {more}", "").trim_end());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pos(line: usize, column: usize) -> Pos {
        Pos { line, column }
    }

    const CASE: &str = "\
- id: other
  steps: []
- id: tags
  steps:
    - request: {method: GET, path: \"/v2/images/{{image_id}}\"}
      expect:
        checks: [{at: body.tags, contains: a}]
    - request: {method: DELETE, path: \"/v2/images/{{image_id}}\"}
      expect: {status: 204}
- id: next
";

    #[test]
    fn marks_the_column_with_two_lines_around_it() {
        assert_eq!(
            excerpt(
                CASE,
                3..=9,
                pos(7, 19),
                "expected it to contain \"a\", got []"
            ),
            "  |
5 |     - request: {method: GET, path: \"/v2/images/{{image_id}}\"}
6 |       expect:
7 |         checks: [{at: body.tags, contains: a}]
  |                   ^ expected it to contain \"a\", got []
8 |     - request: {method: DELETE, path: \"/v2/images/{{image_id}}\"}
9 |       expect: {status: 204}
  |
"
        );
    }

    #[test]
    fn never_shows_lines_outside_the_case() {
        let x = excerpt(CASE, 3..=9, pos(3, 3), "n");
        assert!(x.starts_with("  |\n3 | - id: tags\n  |   ^ n\n4 |"), "{x}");
        assert!(!x.contains("steps: []"), "{x}");
        let x = excerpt(CASE, 3..=9, pos(9, 5), "n");
        assert!(
            x.ends_with("9 |       expect: {status: 204}\n  |     ^ n\n  |\n"),
            "{x}"
        );
        assert!(!x.contains("next"), "{x}");
    }

    #[test]
    fn a_position_outside_the_case_marks_its_nearest_line() {
        let after = excerpt(CASE, 3..=9, pos(40, 70), "n");
        assert!(
            after.contains("9 |       expect: {status: 204}\n  |       ^ n\n"),
            "{after}"
        );
        let before = excerpt(CASE, 3..=9, pos(0, 0), "n");
        assert!(before.contains("3 | - id: tags\n  | ^ n\n"), "{before}");
        // A column past the line's end stops just after it.
        let wide = excerpt(CASE, 3..=9, pos(6, 99), "n");
        assert!(
            wide.contains("6 |       expect:\n  |              ^ n\n"),
            "{wide}"
        );
    }

    #[test]
    fn a_case_outside_the_text_shows_the_note_alone() {
        for (text, lines) in [
            (CASE, 20..=30),
            ("", 1..=3),
            (CASE, RangeInclusive::new(5, 4)),
        ] {
            assert_eq!(excerpt(text, lines, pos(21, 1), "n"), "  |\n  = n\n");
        }
    }

    #[test]
    fn the_last_line_needs_no_newline() {
        let x = excerpt("a: 1\nb: [x]", 1..=2, pos(2, 5), "n");
        assert_eq!(x, "  |\n1 | a: 1\n2 | b: [x]\n  |     ^ n\n  |\n");
        let crlf = excerpt("a: 1\r\nb: [x]\r\n", 1..=2, pos(2, 5), "n");
        assert_eq!(crlf, x);
    }

    #[test]
    fn columns_count_characters_and_tabs_are_widened() {
        let x = excerpt("k: \"é€😀\" # x", 1..=1, pos(1, 10), "n");
        assert!(x.contains("1 | k: \"é€😀\" # x\n  |          ^ n\n"), "{x}");
        let x = excerpt("a:\t[1]\r\tb", 1..=1, pos(1, 4), "n");
        assert!(x.contains("1 | a:    [1]�    b\n  |       ^ n\n"), "{x}");
    }

    #[test]
    fn the_gutter_widens_for_long_files() {
        let text: String = (1..=1200).map(|n| format!("l{n}\n")).collect();
        let x = excerpt(&text, 990..=1100, pos(999, 2), "n");
        assert_eq!(
            x,
            "     |\n 997 | l997\n 998 | l998\n 999 | l999\n     |  ^ n\n1000 | l1000\n1001 | l1001\n     |\n"
        );
        let x = excerpt(&text, 95..=105, pos(100, 1), "n");
        assert!(x.starts_with("    |\n 98 | l98\n"), "{x}");
    }

    #[test]
    fn a_long_line_is_cut_around_the_column() {
        let long = format!(
            "checks: [{}{{at: body.x, equals: 1}}]",
            "{at: body.a, equals: 1}, ".repeat(20)
        );
        let text = format!("expect:\n  {long}\nend: {}\n", "y".repeat(300));
        let col = 3 + long.find("{at: body.x").unwrap();
        let x = excerpt(&text, 1..=3, pos(2, col), "here");
        for line in x.lines() {
            assert!(line.chars().count() <= 8 + WIDTH, "{line}");
        }
        let shown: Vec<&str> = x.lines().collect();
        // The column stays in sight, under the check it marks; the cut is shown.
        let caret = shown[3].find('^').unwrap();
        let under: String = shown[2].chars().skip(caret).collect();
        assert!(under.starts_with("{at: body.x"), "{x}");
        assert!(
            shown[2].starts_with("2 | …") && shown[2].ends_with("1}]"),
            "{x}"
        );
        // The lines around it keep their start.
        assert_eq!(shown[1], "1 | expect:", "{x}");
        assert!(
            shown[4].starts_with("3 | end: y") && shown[4].ends_with('…'),
            "{x}"
        );
        // Near the start, a long line keeps its start and loses its end.
        let x = excerpt(&text, 1..=3, pos(3, 2), "n");
        assert!(
            x.contains(&format!("3 | end: {}…\n  |  ^ n", "y".repeat(WIDTH - 5))),
            "{x}"
        );
    }

    #[test]
    fn a_note_of_several_lines_stays_beside_the_marker() {
        let x = excerpt("a: [1]", 1..=1, pos(1, 4), "first\nsecond");
        assert_eq!(x, "  |\n1 | a: [1]\n  |    ^ first\n  |      second\n  |\n");
        let bare = excerpt("a: [1]", 1..=1, pos(1, 4), "");
        assert_eq!(bare, "  |\n1 | a: [1]\n  |    ^\n  |\n");
    }

    #[test]
    fn the_location_is_file_line_column() {
        assert_eq!(
            location("cases/tags.yaml", pos(31, 15)),
            "cases/tags.yaml:31:15"
        );
    }
}
