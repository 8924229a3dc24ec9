
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
            cand config 'Generate, validate and show the registry config (distribution''s config.yml)'
            cand completions 'Print a shell completion script, or write all of them to a directory'
            cand man 'Print the regctl(1) man page, or write every page to a directory'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'regctl;config'= {
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
            cand generate 'Write a commented config.yml that registry:2 and regctl both accept'
            cand validate 'Check a config and report every problem at once, each with its key path'
            cand show 'Print the effective config: the file after REGISTRY_* overrides and defaults'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'regctl;config;generate'= {
            cand --addr 'Address to listen on (http.addr); 0.0.0.0:PORT serves the network'
            cand --root 'Storage directory (storage.filesystem.rootdirectory)'
            cand --htpasswd 'Require basic authentication against this htpasswd file (auth.htpasswd.path)'
            cand --realm 'Realm clients show when asking for a password (auth.htpasswd.realm)'
            cand --tls-cert 'Serve HTTPS with this PEM certificate (http.tls.certificate)'
            cand --tls-key 'Private key of --tls-cert, PEM (http.tls.key)'
            cand --host 'URL or HOST[:PORT] clients reach the registry at (http.host)'
            cand --file 'Write to FILE instead of stdout'
            cand -c 'Registry config file (distribution''s config.yml schema)'
            cand --config 'Registry config file (distribution''s config.yml schema)'
            cand -o 'Output format for results'
            cand --output 'Output format for results'
            cand --delete 'Allow deleting manifests and blobs (storage.delete.enabled)'
            cand --force 'Replace FILE if it exists'
            cand -q 'Print only results and errors'
            cand --quiet 'Print only results and errors'
            cand -v 'Print more detail (repeat for more)'
            cand --verbose 'Print more detail (repeat for more)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'regctl;config;validate'= {
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
        &'regctl;config;show'= {
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
        &'regctl;config;help'= {
            cand generate 'Write a commented config.yml that registry:2 and regctl both accept'
            cand validate 'Check a config and report every problem at once, each with its key path'
            cand show 'Print the effective config: the file after REGISTRY_* overrides and defaults'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'regctl;config;help;generate'= {
        }
        &'regctl;config;help;validate'= {
        }
        &'regctl;config;help;show'= {
        }
        &'regctl;config;help;help'= {
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
            cand config 'Generate, validate and show the registry config (distribution''s config.yml)'
            cand completions 'Print a shell completion script, or write all of them to a directory'
            cand man 'Print the regctl(1) man page, or write every page to a directory'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'regctl;help;config'= {
            cand generate 'Write a commented config.yml that registry:2 and regctl both accept'
            cand validate 'Check a config and report every problem at once, each with its key path'
            cand show 'Print the effective config: the file after REGISTRY_* overrides and defaults'
        }
        &'regctl;help;config;generate'= {
        }
        &'regctl;help;config;validate'= {
        }
        &'regctl;help;config;show'= {
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
