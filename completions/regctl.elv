
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
            cand completions 'Print a shell completion script, or write all of them to a directory'
            cand man 'Print the regctl(1) man page, or write every page to a directory'
            cand serve 'Run the registry server'
            cand help 'Print this message or the help of the given subcommand(s)'
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
        &'regctl;serve'= {
            cand --addr 'Address to listen on'
            cand --root 'Storage root (registry:2''s rootdirectory)'
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
            cand completions 'Print a shell completion script, or write all of them to a directory'
            cand man 'Print the regctl(1) man page, or write every page to a directory'
            cand serve 'Run the registry server'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'regctl;help;completions'= {
        }
        &'regctl;help;man'= {
        }
        &'regctl;help;serve'= {
        }
        &'regctl;help;help'= {
        }
    ]
    $completions[$command]
}
