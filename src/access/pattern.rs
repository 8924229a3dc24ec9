//! Repository patterns: globs over `/`-separated repository names.
//!
//! - `*` inside a component matches any run of characters within that component
//!   (`library/*` matches `library/alpine`, not `library/a/b`);
//! - `**` as a whole component matches any number of components: in the middle or at the start
//!   zero or more (`**/cache` matches `cache` and `a/b/cache`), at the end one or more
//!   (`team/**` matches everything under `team/`, not `team` itself); `**` alone matches every
//!   repository;
//! - everything else is literal.
//!
//! Patterns are compiled once, when the policy is loaded; matching splits the name on a fixed
//! array on the stack and never allocates.

use std::fmt;

/// A name has at most 128 components (255 bytes, one byte each plus separators).
const MAX_COMPONENTS: usize = 128;
/// More `**` than this in one pattern is refused: each one multiplies the matching work by the
/// number of components.
pub const MAX_ANY_DEPTH: usize = 2;
/// Longest pattern accepted (a repository name has at most 255 bytes).
pub const MAX_PATTERN_BYTES: usize = 255;

#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    /// `**`
    AnyDepth,
    /// A component without `*`: compared as is.
    Literal(Box<str>),
    /// A component with `*` wildcards.
    Glob(Box<str>),
}

/// A compiled repository pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pattern {
    source: Box<str>,
    segments: Box<[Segment]>,
}

/// Why a pattern was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PatternError {
    #[error("a pattern cannot be empty")]
    Empty,
    #[error("a pattern has at most {MAX_PATTERN_BYTES} bytes")]
    TooLong,
    #[error("{0:?} has an empty component (two slashes, or one at an end)")]
    EmptyComponent(String),
    #[error(
        "{0:?}: `**` must be a whole component (`team/**`, `**/cache`); use `*` inside a component"
    )]
    PartialAnyDepth(String),
    #[error("{0:?} uses `**` more than {MAX_ANY_DEPTH} times")]
    TooManyAnyDepth(String),
    #[error("{0:?}: `**/**` is the same as `**`; write it once")]
    RepeatedAnyDepth(String),
    #[error(
        "{pattern:?} contains {found:?}: repository names have only lowercase letters, digits, \
         '.', '_', '-' and '/' (patterns add '*')"
    )]
    InvalidCharacter { pattern: String, found: char },
}

impl Pattern {
    /// Compiles `source`.
    ///
    /// # Errors
    /// When the pattern is empty, too long, has an empty component, a `**` that is not a whole
    /// component, too many `**`, or a character no repository name can contain.
    pub fn parse(source: &str) -> Result<Self, PatternError> {
        if source.is_empty() {
            return Err(PatternError::Empty);
        }
        if source.len() > MAX_PATTERN_BYTES {
            return Err(PatternError::TooLong);
        }
        if let Some(found) = source.chars().find(|c| {
            !(c.is_ascii_lowercase()
                || c.is_ascii_digit()
                || matches!(c, '.' | '_' | '-' | '/' | '*'))
        }) {
            return Err(PatternError::InvalidCharacter {
                pattern: source.to_owned(),
                found,
            });
        }
        let mut segments = Vec::new();
        for component in source.split('/') {
            let segment = match component {
                "" => return Err(PatternError::EmptyComponent(source.to_owned())),
                "**" => {
                    if segments.last() == Some(&Segment::AnyDepth) {
                        return Err(PatternError::RepeatedAnyDepth(source.to_owned()));
                    }
                    Segment::AnyDepth
                }
                c if c.contains("**") => {
                    return Err(PatternError::PartialAnyDepth(source.to_owned()))
                }
                c if c.contains('*') => Segment::Glob(c.into()),
                c => Segment::Literal(c.into()),
            };
            segments.push(segment);
        }
        let any_depth = segments.iter().filter(|s| **s == Segment::AnyDepth).count();
        if any_depth > MAX_ANY_DEPTH {
            return Err(PatternError::TooManyAnyDepth(source.to_owned()));
        }
        Ok(Self {
            source: source.into(),
            segments: segments.into(),
        })
    }

    /// The pattern as written.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.source
    }

    /// Whether the repository `name` matches.
    #[must_use]
    pub fn matches(&self, name: &str) -> bool {
        let mut components = [""; MAX_COMPONENTS];
        let mut count = 0;
        for component in name.split('/') {
            if count == MAX_COMPONENTS {
                return false;
            }
            components[count] = component;
            count += 1;
        }
        match_segments(&self.segments, &components[..count])
    }
}

impl fmt::Display for Pattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.source)
    }
}

fn match_segments(segments: &[Segment], name: &[&str]) -> bool {
    let Some((first, rest)) = segments.split_first() else {
        return name.is_empty();
    };
    match first {
        Segment::AnyDepth if rest.is_empty() => !name.is_empty(),
        Segment::AnyDepth => (0..=name.len()).any(|skip| match_segments(rest, &name[skip..])),
        Segment::Literal(literal) => name
            .split_first()
            .is_some_and(|(c, tail)| **literal == **c && match_segments(rest, tail)),
        Segment::Glob(glob) => name.split_first().is_some_and(|(c, tail)| {
            glob_matches(glob.as_bytes(), c.as_bytes()) && match_segments(rest, tail)
        }),
    }
}

/// A tag pattern: a tag with `*` wildcards (`v*`, `release-*-final`, `*`), matched against the
/// whole tag. Same `*` as in a repository pattern's component; tags have no `/`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TagPattern(Box<str>);

/// Why a tag pattern was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TagPatternError {
    #[error("a tag pattern cannot be empty")]
    Empty,
    #[error("a tag pattern has at most 128 bytes")]
    TooLong,
    #[error(
        "{pattern:?} contains {found:?}: tags have only letters, digits, '_', '.' and '-' \
         (patterns add '*')"
    )]
    InvalidCharacter { pattern: String, found: char },
}

impl TagPattern {
    /// Compiles `source`.
    ///
    /// # Errors
    /// When it is empty, longer than a tag can be, or has a character no tag can contain.
    pub fn parse(source: &str) -> Result<Self, TagPatternError> {
        if source.is_empty() {
            return Err(TagPatternError::Empty);
        }
        if source.len() > 128 {
            return Err(TagPatternError::TooLong);
        }
        if let Some(found) = source
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-' | '*')))
        {
            return Err(TagPatternError::InvalidCharacter {
                pattern: source.to_owned(),
                found,
            });
        }
        Ok(Self(source.into()))
    }

    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether the whole of `tag` matches.
    #[must_use]
    pub fn matches(&self, tag: &str) -> bool {
        glob_matches(self.0.as_bytes(), tag.as_bytes())
    }
}

/// `*` matches any run of bytes; everything else itself. Greedy with one backtrack point, so
/// linear in practice and never worse than `glob.len() * text.len()`.
fn glob_matches(glob: &[u8], text: &[u8]) -> bool {
    let (mut g, mut t) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        if g < glob.len() && glob[g] == b'*' {
            star = Some((g, t));
            g += 1;
        } else if g < glob.len() && glob[g] == text[t] {
            g += 1;
            t += 1;
        } else if let Some((star_g, star_t)) = star {
            g = star_g + 1;
            t = star_t + 1;
            star = Some((star_g, star_t + 1));
        } else {
            return false;
        }
    }
    glob[g..].iter().all(|&b| b == b'*')
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn m(pattern: &str, name: &str) -> bool {
        Pattern::parse(pattern).unwrap().matches(name)
    }

    #[test]
    fn documented_cases() {
        assert!(m("library/*", "library/alpine"));
        assert!(!m("library/*", "library/a/b"));
        assert!(!m("library/*", "library"));
        assert!(m("team/**", "team/app"));
        assert!(m("team/**", "team/a/b/c"));
        assert!(!m("team/**", "team"));
        assert!(!m("team/**", "teamx/app"));
        assert!(m("**/cache", "cache"));
        assert!(m("**/cache", "a/b/cache"));
        assert!(!m("**/cache", "a/cachex"));
        assert!(m("**", "x"));
        assert!(m("**", "x/y/z"));
        assert!(m("a/**/z", "a/z"));
        assert!(m("a/**/z", "a/b/c/z"));
        assert!(!m("a/**/z", "a/b/c"));
        assert!(m("app-*", "app-web"));
        assert!(m("app-*", "app-"));
        assert!(m("*-web", "app-web"));
        assert!(m("a*b*c", "axxbyyc"));
        assert!(!m("a*b*c", "axxbyy"));
        assert!(m("exact/name", "exact/name"));
        assert!(!m("exact/name", "exact/name2"));
    }

    #[test]
    fn refusals() {
        assert_eq!(Pattern::parse(""), Err(PatternError::Empty));
        assert!(matches!(
            Pattern::parse("a//b"),
            Err(PatternError::EmptyComponent(_))
        ));
        assert!(matches!(
            Pattern::parse("team/"),
            Err(PatternError::EmptyComponent(_))
        ));
        assert!(matches!(
            Pattern::parse("a**"),
            Err(PatternError::PartialAnyDepth(_))
        ));
        assert!(matches!(
            Pattern::parse("**/**"),
            Err(PatternError::RepeatedAnyDepth(_))
        ));
        assert!(matches!(
            Pattern::parse("**/a/**/b/**"),
            Err(PatternError::TooManyAnyDepth(_))
        ));
        assert!(matches!(
            Pattern::parse("Team/*"),
            Err(PatternError::InvalidCharacter { found: 'T', .. })
        ));
        assert!(matches!(
            Pattern::parse("a?"),
            Err(PatternError::InvalidCharacter { found: '?', .. })
        ));
        assert!(matches!(
            Pattern::parse(&"a".repeat(256)),
            Err(PatternError::TooLong)
        ));
    }

    /// A slow, obviously right matcher: regex-like recursion over characters, with `**`
    /// components rewritten to their definition.
    fn reference(pattern: &str, name: &str) -> bool {
        fn glob(p: &[u8], t: &[u8]) -> bool {
            match p.split_first() {
                None => t.is_empty(),
                Some((b'*', rest)) => (0..=t.len()).any(|i| glob(rest, &t[i..])),
                Some((c, rest)) => t.first() == Some(c) && glob(rest, &t[1..]),
            }
        }
        fn seg(p: &[&str], n: &[&str]) -> bool {
            match p.split_first() {
                None => n.is_empty(),
                Some((&"**", [])) => !n.is_empty(),
                Some((&"**", rest)) => (0..=n.len()).any(|i| seg(rest, &n[i..])),
                Some((c, rest)) => {
                    !n.is_empty() && glob(c.as_bytes(), n[0].as_bytes()) && seg(rest, &n[1..])
                }
            }
        }
        let p: Vec<&str> = pattern.split('/').collect();
        let n: Vec<&str> = name.split('/').collect();
        seg(&p, &n)
    }

    fn component() -> impl Strategy<Value = String> {
        "[a-c]{1,3}"
    }

    fn name() -> impl Strategy<Value = String> {
        prop::collection::vec(component(), 1..5).prop_map(|c| c.join("/"))
    }

    fn pattern() -> impl Strategy<Value = String> {
        let piece = prop_oneof![
            3 => "[a-c*]{1,3}".prop_filter("no **", |s| !s.contains("**")),
            1 => Just("**".to_owned()),
        ];
        prop::collection::vec(piece, 1..5)
            .prop_map(|c| c.join("/"))
            .prop_filter("valid", |p| Pattern::parse(p).is_ok())
    }

    proptest! {
        #[test]
        fn agrees_with_the_reference_matcher(p in pattern(), n in name()) {
            prop_assert_eq!(Pattern::parse(&p).unwrap().matches(&n), reference(&p, &n), "{} vs {}", p, n);
        }

        #[test]
        fn a_literal_pattern_matches_exactly_its_name(a in name(), b in name()) {
            let pattern = Pattern::parse(&a).unwrap();
            prop_assert!(pattern.matches(&a));
            prop_assert_eq!(pattern.matches(&b), a == b);
        }

        #[test]
        fn prefix_any_depth_matches_everything_below_and_nothing_else(prefix in name(), rest in name(), other in name()) {
            let pattern = Pattern::parse(&format!("{prefix}/**")).unwrap();
            let below = format!("{prefix}/{rest}");
            prop_assert!(pattern.matches(&below));
            prop_assert!(!pattern.matches(&prefix));
            let inside = other.starts_with(&format!("{prefix}/"));
            prop_assert_eq!(pattern.matches(&other), inside);
        }

        #[test]
        fn star_never_crosses_a_slash(n in name()) {
            let depth = n.split('/').count();
            let stars = vec!["*"; depth].join("/");
            prop_assert!(Pattern::parse(&stars).unwrap().matches(&n));
            let fewer = vec!["*"; depth + 1].join("/");
            prop_assert!(!Pattern::parse(&fewer).unwrap().matches(&n));
        }
    }
}
