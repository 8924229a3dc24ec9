# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_regctl_global_optspecs
    string join \n c/config= o/output= q/quiet v/verbose h/help V/version
end

function __fish_regctl_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_regctl_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_regctl_using_subcommand
    set -l cmd (__fish_regctl_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c regctl -n "__fish_regctl_needs_command" -s c -l config -d 'Registry config file (distribution\'s config.yml schema)' -r -F
complete -c regctl -n "__fish_regctl_needs_command" -s o -l output -d 'Output format for results' -r -f -a "table\t'Human-readable tables and sentences'
json\t'Machine-readable JSON on stdout'"
complete -c regctl -n "__fish_regctl_needs_command" -s q -l quiet -d 'Print only results and errors'
complete -c regctl -n "__fish_regctl_needs_command" -s v -l verbose -d 'Print more detail (repeat for more)'
complete -c regctl -n "__fish_regctl_needs_command" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c regctl -n "__fish_regctl_needs_command" -s V -l version -d 'Print version'
complete -c regctl -n "__fish_regctl_needs_command" -f -a "completions" -d 'Print a shell completion script, or write all of them to a directory'
complete -c regctl -n "__fish_regctl_needs_command" -f -a "man" -d 'Print the regctl(1) man page, or write every page to a directory'
complete -c regctl -n "__fish_regctl_needs_command" -f -a "serve" -d 'Run the registry server'
complete -c regctl -n "__fish_regctl_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c regctl -n "__fish_regctl_using_subcommand completions" -l dir -d 'Write the scripts for every shell into DIR instead of printing one' -r -F
complete -c regctl -n "__fish_regctl_using_subcommand completions" -s c -l config -d 'Registry config file (distribution\'s config.yml schema)' -r -F
complete -c regctl -n "__fish_regctl_using_subcommand completions" -s o -l output -d 'Output format for results' -r -f -a "table\t'Human-readable tables and sentences'
json\t'Machine-readable JSON on stdout'"
complete -c regctl -n "__fish_regctl_using_subcommand completions" -s q -l quiet -d 'Print only results and errors'
complete -c regctl -n "__fish_regctl_using_subcommand completions" -s v -l verbose -d 'Print more detail (repeat for more)'
complete -c regctl -n "__fish_regctl_using_subcommand completions" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c regctl -n "__fish_regctl_using_subcommand completions" -s V -l version -d 'Print version'
complete -c regctl -n "__fish_regctl_using_subcommand man" -l dir -d 'Write regctl.1 and one page per subcommand (regctl-user.1, ...) into DIR' -r -F
complete -c regctl -n "__fish_regctl_using_subcommand man" -s c -l config -d 'Registry config file (distribution\'s config.yml schema)' -r -F
complete -c regctl -n "__fish_regctl_using_subcommand man" -s o -l output -d 'Output format for results' -r -f -a "table\t'Human-readable tables and sentences'
json\t'Machine-readable JSON on stdout'"
complete -c regctl -n "__fish_regctl_using_subcommand man" -s q -l quiet -d 'Print only results and errors'
complete -c regctl -n "__fish_regctl_using_subcommand man" -s v -l verbose -d 'Print more detail (repeat for more)'
complete -c regctl -n "__fish_regctl_using_subcommand man" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c regctl -n "__fish_regctl_using_subcommand man" -s V -l version -d 'Print version'
complete -c regctl -n "__fish_regctl_using_subcommand serve" -l addr -d 'Address to listen on' -r
complete -c regctl -n "__fish_regctl_using_subcommand serve" -l root -d 'Storage root (registry:2\'s rootdirectory)' -r -F
complete -c regctl -n "__fish_regctl_using_subcommand serve" -s c -l config -d 'Registry config file (distribution\'s config.yml schema)' -r -F
complete -c regctl -n "__fish_regctl_using_subcommand serve" -s o -l output -d 'Output format for results' -r -f -a "table\t'Human-readable tables and sentences'
json\t'Machine-readable JSON on stdout'"
complete -c regctl -n "__fish_regctl_using_subcommand serve" -s q -l quiet -d 'Print only results and errors'
complete -c regctl -n "__fish_regctl_using_subcommand serve" -s v -l verbose -d 'Print more detail (repeat for more)'
complete -c regctl -n "__fish_regctl_using_subcommand serve" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c regctl -n "__fish_regctl_using_subcommand serve" -s V -l version -d 'Print version'
complete -c regctl -n "__fish_regctl_using_subcommand help; and not __fish_seen_subcommand_from completions man serve help" -f -a "completions" -d 'Print a shell completion script, or write all of them to a directory'
complete -c regctl -n "__fish_regctl_using_subcommand help; and not __fish_seen_subcommand_from completions man serve help" -f -a "man" -d 'Print the regctl(1) man page, or write every page to a directory'
complete -c regctl -n "__fish_regctl_using_subcommand help; and not __fish_seen_subcommand_from completions man serve help" -f -a "serve" -d 'Run the registry server'
complete -c regctl -n "__fish_regctl_using_subcommand help; and not __fish_seen_subcommand_from completions man serve help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
