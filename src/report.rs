//! Rendering errors for logs and diagnostics, where the cause chain must fit on one line.

/// An error and its causes on one line, joined by `: `.
#[must_use]
pub fn error_chain(err: &dyn std::error::Error) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    #[test]
    fn joins_the_causes() {
        #[derive(Debug, thiserror::Error)]
        #[error("cannot save")]
        struct Save(#[source] std::io::Error);
        assert_eq!(
            super::error_chain(&Save(std::io::Error::other("disk full"))),
            "cannot save: disk full"
        );
    }
}
