//! The commands printed after init, each meant to run exactly as printed.

use serde::Serialize;

use super::{InitOutcome, ACME_PORT};

/// A command the operator runs next, with a sentence saying what it is for.
#[derive(Debug, Clone, Serialize)]
pub struct NextStep {
    pub what: String,
    pub commands: Vec<String>,
}

/// What to run after init: start the server, set up clients, log in, install the service.
#[must_use]
pub fn next_steps(outcome: &InitOutcome) -> Vec<NextStep> {
    let config = shell_word(&outcome.config.display().to_string());
    let mut steps = vec![NextStep {
        what: "Start the registry:".to_owned(),
        commands: vec![format!("regctl serve -c {config}")],
    }];
    if outcome.tls == "acme" {
        steps[0].what = "Start the registry (it obtains the Let's Encrypt certificate at start, so port 443 of every host must be reachable from the internet):".to_owned();
    }
    let registry = &outcome.registry;
    match (outcome.tls, &outcome.ca_certificate) {
        ("self-signed", Some(ca)) => steps.push(NextStep {
            what: format!(
                "On each client machine, with {} copied there, make docker (and with --podman, podman and skopeo) trust the CA:",
                ca.display()
            ),
            commands: vec![format!(
                "sudo regctl client-setup {registry} --ca-file {}",
                shell_word(&ca.display().to_string())
            )],
        }),
        ("none", _) => steps.push(NextStep {
            what: "On each client machine, allow plain HTTP for this registry (docker's insecure-registries):".to_owned(),
            commands: vec![format!("sudo regctl client-setup {registry}")],
        }),
        ("files", _) => steps.push(NextStep {
            // No command: init does not know the CA file, and a placeholder would not run as printed.
            what: format!("Clients need no set-up when the certificate comes from a public CA; for a private CA, run `sudo regctl client-setup {registry} --ca-file` with that CA's certificate on each client."),
            commands: Vec::new(),
        }),
        _ => {}
    }
    let login_target = registry
        .strip_suffix(&format!(":{ACME_PORT}"))
        .filter(|_| outcome.tls != "none")
        .unwrap_or(registry);
    let scheme = if outcome.tls == "none" {
        "http"
    } else {
        "https"
    };
    let mut check = "curl -sS --fail".to_owned();
    if let Some(ca) = &outcome.ca_certificate {
        check.push_str(&format!(
            " --cacert {}",
            shell_word(&ca.display().to_string())
        ));
    }
    if let Some(user) = &outcome.user {
        // curl asks for the password when only the user is given.
        check.push_str(&format!(" -u {}", shell_word(user)));
    }
    check.push_str(&format!(" {scheme}://{login_target}/v2/_catalog"));
    steps.push(NextStep {
        what: "Check that it answers (on this machine, or anywhere it is reachable):".to_owned(),
        commands: vec![check],
    });
    let mut login = Vec::new();
    if let Some(user) = &outcome.user {
        login.push(format!(
            "docker login {login_target} -u {}",
            shell_word(user)
        ));
        let skopeo_tls = match (outcome.tls, &outcome.ca_cert_dir) {
            ("none", _) => " --tls-verify=false".to_owned(),
            // A directory with ca.crt alone: skopeo takes any *.key beside it for a client key.
            (_, Some(dir)) => format!(" --cert-dir {}", shell_word(&dir.display().to_string())),
            _ => String::new(),
        };
        login.push(format!(
            "skopeo login{skopeo_tls} {login_target} -u {}",
            shell_word(user)
        ));
    }
    login.push(format!(
        "docker tag alpine {login_target}/alpine && docker push {login_target}/alpine"
    ));
    steps.push(NextStep {
        what: if outcome.user.is_some() {
            "Log in and push (any local image will do in place of alpine):".to_owned()
        } else {
            "Push (any local image will do in place of alpine):".to_owned()
        },
        commands: login,
    });
    if let Some(unit) = &outcome.systemd_unit {
        steps.push(NextStep {
            what: "Run it as a service instead:".to_owned(),
            commands: vec![
                format!(
                    "sudo cp {} /etc/systemd/system/",
                    shell_word(&unit.display().to_string())
                ),
                "sudo systemctl daemon-reload && sudo systemctl enable --now regctl".to_owned(),
            ],
        });
    }
    steps
}

/// `text` quoted for a POSIX shell when it holds anything but safe characters.
fn shell_word(text: &str) -> String {
    let safe = !text.is_empty()
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"/._-:@+=,".contains(&b));
    if safe {
        text.to_owned()
    } else {
        format!("'{}'", text.replace('\'', "'\\''"))
    }
}
