
use builtin;
use str;

set edit:completion:arg-completer[regctl] = {|@words|
    fn spaces {|n|
        builtin:repeat $n ' ' | str:join ''
    }
    fn cand {|text desc|
        edit:complex-candidate $text &display=$text' '(spaces (- 14 (wcswidth $text)))$desc
    }
    var command = 'regctl'
    for word $words[1..-1] {
        if (str:has-prefix $word '-') {
            break
        }
        set command = $command';'$word
    }
    var completions = [
        &'regctl'= {
            cand -c 'Registry config file (distribution''s config.yml schema)'
            cand --config 'Registry config file (distribution''s config.yml schema)'
            cand -o 'Output format for results'
            cand --output 'Output format for results'
            cand -q 'Print only results and errors'
            cand --quiet 'Print only results and errors'
            cand -v 'Print more detail (repeat for more)'
            cand --verbose 'Print more detail (repeat for more)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
            cand client-setup 'Configure docker (or containerd, podman) on this machine to use a registry'
            cand completions 'Print a shell completion script, or write all of them to a directory'
            cand man 'Print the regctl(1) man page, or write every page to a directory'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'regctl;client-setup'= {
            cand --ca-file 'The registry''s CA certificate (PEM): set up TLS with a private CA instead of plain HTTP'
            cand --root 'Apply every path under DIR instead of / (for tests and for preparing images)'
            cand -c 'Registry config file (distribution''s config.yml schema)'
            cand --config 'Registry config file (distribution''s config.yml schema)'
            cand -o 'Output format for results'
            cand --output 'Output format for results'
            cand --containerd 'Also configure containerd (certs.d/HOST:PORT/hosts.toml)'
            cand --podman 'Also configure podman, buildah and skopeo (a registries.conf.d drop-in)'
            cand --no-docker 'Leave docker''s files alone (for hosts with only containerd or podman)'
            cand --remove 'Undo: drop HOST:PORT from insecure-registries and delete the files regctl wrote for it'
            cand --dry-run 'Print the diff of every file that would change and write nothing'
            cand --restart 'Restart the services that need it (`systemctl restart docker`) after writing'
            cand -q 'Print only results and errors'
            cand --quiet 'Print only results and errors'
            cand -v 'Print more detail (repeat for more)'
            cand --verbose 'Print more detail (repeat for more)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'regctl;completions'= {
            cand --dir 'Write the scripts for every shell into DIR instead of printing one'
            cand -c 'Registry config file (distribution''s config.yml schema)'
            cand --config 'Registry config file (distribution''s config.yml schema)'
            cand -o 'Output format for results'
            cand --output 'Output format for results'
            cand -q 'Print only results and errors'
            cand --quiet 'Print only results and errors'
            cand -v 'Print more detail (repeat for more)'
            cand --verbose 'Print more detail (repeat for more)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'regctl;man'= {
            cand --dir 'Write regctl.1 and one page per subcommand (regctl-user.1, ...) into DIR'
            cand -c 'Registry config file (distribution''s config.yml schema)'
            cand --config 'Registry config file (distribution''s config.yml schema)'
            cand -o 'Output format for results'
            cand --output 'Output format for results'
            cand -q 'Print only results and errors'
            cand --quiet 'Print only results and errors'
            cand -v 'Print more detail (repeat for more)'
            cand --verbose 'Print more detail (repeat for more)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'regctl;help'= {
            cand client-setup 'Configure docker (or containerd, podman) on this machine to use a registry'
            cand completions 'Print a shell completion script, or write all of them to a directory'
            cand man 'Print the regctl(1) man page, or write every page to a directory'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'regctl;help;client-setup'= {
        }
        &'regctl;help;completions'= {
        }
        &'regctl;help;man'= {
        }
        &'regctl;help;help'= {
        }
    ]
    $completions[$command]
}
