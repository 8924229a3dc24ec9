
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
            cand catalog 'List the repositories of a registry'
            cand tags 'List the tags of a repository with digest, media type and size'
            cand manifest 'Show a manifest, or the one an index holds for a platform'
            cand delete 'Delete an image manifest by tag or digest, or only a tag'
            cand login 'Check and store registry credentials in the docker config'
            cand logout 'Remove the stored credentials of a registry'
            cand completions 'Print a shell completion script, or write all of them to a directory'
            cand man 'Print the regctl(1) man page, or write every page to a directory'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'regctl;catalog'= {
            cand --limit 'Stop after this many entries'
            cand -n 'Ask for this many entries per request (`n`); the registry''s default when absent'
            cand --page-size 'Ask for this many entries per request (`n`); the registry''s default when absent'
            cand --ca-file 'Trust the CA certificates in this PEM file (for a registry with a private CA)'
            cand -u 'User name; without it the credentials stored by `regctl login` or `docker login` are used'
            cand --user 'User name; without it the credentials stored by `regctl login` or `docker login` are used'
            cand -c 'Registry config file (distribution''s config.yml schema)'
            cand --config 'Registry config file (distribution''s config.yml schema)'
            cand -o 'Output format for results'
            cand --output 'Output format for results'
            cand --count-tags 'Also count the tags of each repository (one request per repository)'
            cand --insecure 'Allow plain HTTP and accept any TLS certificate'
            cand --password-stdin 'Read the password from stdin (with --user)'
            cand -q 'Print only results and errors'
            cand --quiet 'Print only results and errors'
            cand -v 'Print more detail (repeat for more)'
            cand --verbose 'Print more detail (repeat for more)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'regctl;tags'= {
            cand --concurrency 'HEAD requests in flight at once when reading tag details'
            cand --limit 'Stop after this many entries'
            cand -n 'Ask for this many entries per request (`n`); the registry''s default when absent'
            cand --page-size 'Ask for this many entries per request (`n`); the registry''s default when absent'
            cand --ca-file 'Trust the CA certificates in this PEM file (for a registry with a private CA)'
            cand -u 'User name; without it the credentials stored by `regctl login` or `docker login` are used'
            cand --user 'User name; without it the credentials stored by `regctl login` or `docker login` are used'
            cand -c 'Registry config file (distribution''s config.yml schema)'
            cand --config 'Registry config file (distribution''s config.yml schema)'
            cand -o 'Output format for results'
            cand --output 'Output format for results'
            cand --names-only 'Only list tag names (skips one HEAD request per tag)'
            cand --details 'Also show when each image was created and its total size (reads each manifest and image config: two more requests per tag)'
            cand --insecure 'Allow plain HTTP and accept any TLS certificate'
            cand --password-stdin 'Read the password from stdin (with --user)'
            cand -q 'Print only results and errors'
            cand --quiet 'Print only results and errors'
            cand -v 'Print more detail (repeat for more)'
            cand --verbose 'Print more detail (repeat for more)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'regctl;manifest'= {
            cand --platform 'For an index (multi-platform image), show the manifest of this os/arch[/variant]'
            cand --ca-file 'Trust the CA certificates in this PEM file (for a registry with a private CA)'
            cand -u 'User name; without it the credentials stored by `regctl login` or `docker login` are used'
            cand --user 'User name; without it the credentials stored by `regctl login` or `docker login` are used'
            cand -c 'Registry config file (distribution''s config.yml schema)'
            cand --config 'Registry config file (distribution''s config.yml schema)'
            cand -o 'Output format for results'
            cand --output 'Output format for results'
            cand --insecure 'Allow plain HTTP and accept any TLS certificate'
            cand --password-stdin 'Read the password from stdin (with --user)'
            cand -q 'Print only results and errors'
            cand --quiet 'Print only results and errors'
            cand -v 'Print more detail (repeat for more)'
            cand --verbose 'Print more detail (repeat for more)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'regctl;delete'= {
            cand --ca-file 'Trust the CA certificates in this PEM file (for a registry with a private CA)'
            cand -u 'User name; without it the credentials stored by `regctl login` or `docker login` are used'
            cand --user 'User name; without it the credentials stored by `regctl login` or `docker login` are used'
            cand -c 'Registry config file (distribution''s config.yml schema)'
            cand --config 'Registry config file (distribution''s config.yml schema)'
            cand -o 'Output format for results'
            cand --output 'Output format for results'
            cand -y 'Do not ask for confirmation (required when stdin is not a terminal)'
            cand --yes 'Do not ask for confirmation (required when stdin is not a terminal)'
            cand --dry-run 'Show what would be deleted and stop'
            cand --tag-only 'Remove only the tag, keeping the manifest and its other tags'
            cand --insecure 'Allow plain HTTP and accept any TLS certificate'
            cand --password-stdin 'Read the password from stdin (with --user)'
            cand -q 'Print only results and errors'
            cand --quiet 'Print only results and errors'
            cand -v 'Print more detail (repeat for more)'
            cand --verbose 'Print more detail (repeat for more)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'regctl;login'= {
            cand --ca-file 'Trust the CA certificates in this PEM file (for a registry with a private CA)'
            cand -u 'User name; without it the credentials stored by `regctl login` or `docker login` are used'
            cand --user 'User name; without it the credentials stored by `regctl login` or `docker login` are used'
            cand -c 'Registry config file (distribution''s config.yml schema)'
            cand --config 'Registry config file (distribution''s config.yml schema)'
            cand -o 'Output format for results'
            cand --output 'Output format for results'
            cand --insecure 'Allow plain HTTP and accept any TLS certificate'
            cand --password-stdin 'Read the password from stdin (with --user)'
            cand -q 'Print only results and errors'
            cand --quiet 'Print only results and errors'
            cand -v 'Print more detail (repeat for more)'
            cand --verbose 'Print more detail (repeat for more)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'regctl;logout'= {
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
            cand catalog 'List the repositories of a registry'
            cand tags 'List the tags of a repository with digest, media type and size'
            cand manifest 'Show a manifest, or the one an index holds for a platform'
            cand delete 'Delete an image manifest by tag or digest, or only a tag'
            cand login 'Check and store registry credentials in the docker config'
            cand logout 'Remove the stored credentials of a registry'
            cand completions 'Print a shell completion script, or write all of them to a directory'
            cand man 'Print the regctl(1) man page, or write every page to a directory'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'regctl;help;catalog'= {
        }
        &'regctl;help;tags'= {
        }
        &'regctl;help;manifest'= {
        }
        &'regctl;help;delete'= {
        }
        &'regctl;help;login'= {
        }
        &'regctl;help;logout'= {
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
