//! The decision table: (user, action, repository) → expected decision, over a policy that has
//! every corner the module documents.

use std::path::Path;

use super::*;
use crate::oci::reference::Name;

const POLICY: &str = r#"
admins: admins
anonymous: [public/**]
default: []
rules:
  # an exception above the rule it narrows: nobody but its owner touches team/secret
  - repositories: [team/secret]
    users: [carol]
    allow: [pull, push, delete]
  - repositories: [team/secret]
    users: ["*"]
    allow: []
  - repositories: [team/**]
    groups: [team]
    allow: [pull, push]
  - repositories: ["**"]
    groups: [readers]
    allow: [pull]
  - repositories: [public/**]
    users: [mallory]
    allow: []
  - repositories: ["library/*"]
    users: ["*"]
    allow: [pull]
"#;

const GROUPS: &str = "admins: root\nteam: bob carol\nreaders: dave bob\n";

fn policy() -> Policy {
    let mut policy = Policy::parse(POLICY, Path::new("/etc/regctl/access.yml")).unwrap();
    policy.set_groups(groups::GroupFile::parse(GROUPS).groups());
    policy
}

fn decide(policy: &Policy, user: Option<&str>, action: Action, repo: &str) -> Decision {
    let subject = Subject { user, scope: None };
    policy.decide(&subject, action, &Name::parse(repo).unwrap())
}

#[test]
fn decision_table() {
    use Action::{Delete, Pull, Push};
    use DecidedBy::{Admin, Anonymous, Default, Rule};
    let policy = policy();
    let table: &[(Option<&str>, Action, &str, bool, DecidedBy)] = &[
        // admins may do everything, even where a rule denies
        (Some("root"), Delete, "team/secret", true, Admin),
        (Some("root"), Push, "anything/at/all", true, Admin),
        // the first matching rule decides
        (Some("carol"), Delete, "team/secret", true, Rule(0)),
        (Some("bob"), Pull, "team/secret", false, Rule(1)),
        (Some("bob"), Push, "team/app", true, Rule(2)),
        (Some("bob"), Delete, "team/app", false, Rule(2)),
        (Some("bob"), Push, "team/a/b/c", true, Rule(2)),
        // bob is in team and readers: team's rule comes first under team/, readers' elsewhere
        (Some("bob"), Pull, "other/app", true, Rule(3)),
        (Some("bob"), Push, "other/app", false, Rule(3)),
        (Some("dave"), Pull, "team/app", true, Rule(3)),
        (Some("dave"), Push, "team/app", false, Rule(3)),
        // `team/**` does not cover `team` itself
        (Some("carol"), Push, "team", false, Default),
        // a logged-in user may pull what anonymous may, unless a rule above says otherwise
        (Some("erin"), Pull, "public/tool", true, Anonymous(0)),
        (Some("erin"), Push, "public/tool", false, Default),
        (Some("mallory"), Pull, "public/tool", false, Rule(4)),
        // `library/*` is one level only
        (Some("erin"), Pull, "library/alpine", true, Rule(5)),
        (Some("erin"), Pull, "library/a/b", false, Default),
        // default: nothing
        (Some("erin"), Pull, "other/app", false, Default),
        // anonymous: the anonymous patterns, pull only, nothing else
        (None, Pull, "public/tool", true, Anonymous(0)),
        (None, Pull, "public/a/b", true, Anonymous(0)),
        (None, Push, "public/tool", false, Default),
        (None, Pull, "library/alpine", false, Default),
        (None, Pull, "public", false, Default),
        // a user named like a group gets nothing from the group
        (Some("team"), Pull, "team/app", false, Default),
    ];
    for (user, action, repo, allowed, by) in table {
        let decision = decide(&policy, *user, *action, repo);
        assert_eq!(
            decision,
            Decision {
                allowed: *allowed,
                by: *by
            },
            "{user:?} {action} {repo}"
        );
    }
}

#[test]
fn a_token_narrows_what_the_policy_allows_and_never_widens_it() {
    let policy = policy();
    let scope = TokenScope {
        repositories: vec![Pattern::parse("team/app").unwrap()],
        actions: "pull,push".parse().unwrap(),
    };
    let subject = Subject {
        user: Some("bob"),
        scope: Some(&scope),
    };
    let name = |s| Name::parse(s).unwrap();
    assert!(
        policy
            .decide(&subject, Action::Push, &name("team/app"))
            .allowed
    );
    let other = policy.decide(&subject, Action::Push, &name("team/other"));
    assert_eq!(
        other,
        Decision {
            allowed: false,
            by: DecidedBy::TokenScope
        }
    );
    // the policy denies delete to bob on team/app: the token's scope does not matter
    let scope_all = TokenScope {
        repositories: vec![Pattern::parse("**").unwrap()],
        actions: ActionSet::ALL,
    };
    let subject = Subject {
        user: Some("bob"),
        scope: Some(&scope_all),
    };
    assert_eq!(
        policy.decide(&subject, Action::Delete, &name("team/app")),
        Decision {
            allowed: false,
            by: DecidedBy::Rule(2)
        }
    );
}

#[test]
fn explanations_name_the_rule() {
    let policy = policy();
    assert_eq!(
        policy.explain(DecidedBy::Rule(2)),
        "rule 3 (team/** for groups team: pull, push)"
    );
    assert_eq!(policy.explain(DecidedBy::Default), "default (nothing)");
    assert_eq!(
        policy.explain(DecidedBy::Anonymous(0)),
        "anonymous pull of public/**"
    );
    assert_eq!(policy.explain(DecidedBy::Admin), "admin group admins");
    assert_eq!(policy.groups_of("bob"), ["readers", "team"]);
}

#[test]
fn problems_have_key_paths() {
    let text = "rules:\n  - repositories: [Team/**]\n    users: []\n    allow: [pull, pul]\n  - repositories: []\n    groups: [team]\n  - nope\nanonymus: []\ndefault: [write]\n";
    let problems = Policy::parse(text, Path::new("a.yml")).unwrap_err();
    let got: Vec<String> = problems.iter().map(ToString::to_string).collect();
    let expect = [
        "anonymus: unknown key (did you mean anonymous?)",
        "default[0]: unknown action \"write\": use pull, push, delete or * (all three)",
        "rules[0].repositories[0]: \"Team/**\" contains 'T'",
        "rules[0]: names nobody",
        "rules[0].allow[1]: unknown action \"pul\"",
        "rules[1].repositories: must list at least one repository pattern",
        "rules[1].allow: must be set",
        "rules[2]: must be a mapping",
    ];
    for e in expect {
        assert!(
            got.iter().any(|g| g.starts_with(e)),
            "{e:?} not in {got:#?}"
        );
    }
}

#[test]
fn an_empty_policy_denies_every_user_and_anonymous() {
    let policy = Policy::parse("", Path::new("a.yml")).unwrap();
    assert!(!decide(&policy, Some("alice"), Action::Pull, "a").allowed);
    assert!(!decide(&policy, None, Action::Pull, "a").allowed);
    let open = Policy::parse("default: ['*']\n", Path::new("a.yml")).unwrap();
    assert!(decide(&open, Some("alice"), Action::Delete, "a/b").allowed);
    assert!(!decide(&open, None, Action::Pull, "a").allowed);
}

#[test]
fn files_are_relative_to_the_policy() {
    let policy = Policy::parse("groupfile: g\n", Path::new("/etc/regctl/access.yml")).unwrap();
    assert_eq!(policy.group_file(), Path::new("/etc/regctl/g"));
    assert_eq!(policy.tokens_file(), Path::new("/etc/regctl/tokens.json"));
    let policy = Policy::parse("tokens: /var/lib/t.json\n", Path::new("access.yml")).unwrap();
    assert_eq!(policy.tokens_file(), Path::new("/var/lib/t.json"));
}

#[test]
fn anonymous_rules_cannot_grant_more_than_pull() {
    // anonymous is a list of patterns: there is no way to write an anonymous push
    let problems = Policy::parse("anonymous: {pattern: [push]}\n", Path::new("a.yml")).unwrap_err();
    assert_eq!(problems[0].path, "anonymous");
}
