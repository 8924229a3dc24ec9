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
complete -c regctl -n "__fish_regctl_needs_command" -f -a "catalog" -d 'List the repositories of a registry'
complete -c regctl -n "__fish_regctl_needs_command" -f -a "tags" -d 'List the tags of a repository with digest, media type and size'
complete -c regctl -n "__fish_regctl_needs_command" -f -a "manifest" -d 'Show a manifest, or the one an index holds for a platform'
complete -c regctl -n "__fish_regctl_needs_command" -f -a "delete" -d 'Delete an image manifest by tag or digest, or only a tag'
complete -c regctl -n "__fish_regctl_needs_command" -f -a "login" -d 'Check and store registry credentials in the docker config'
complete -c regctl -n "__fish_regctl_needs_command" -f -a "logout" -d 'Remove the stored credentials of a registry'
complete -c regctl -n "__fish_regctl_needs_command" -f -a "completions" -d 'Print a shell completion script, or write all of them to a directory'
complete -c regctl -n "__fish_regctl_needs_command" -f -a "man" -d 'Print the regctl(1) man page, or write every page to a directory'
complete -c regctl -n "__fish_regctl_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c regctl -n "__fish_regctl_using_subcommand catalog" -l limit -d 'Stop after this many entries' -r
complete -c regctl -n "__fish_regctl_using_subcommand catalog" -s n -l page-size -d 'Ask for this many entries per request (`n`); the registry\'s default when absent' -r
complete -c regctl -n "__fish_regctl_using_subcommand catalog" -l ca-file -d 'Trust the CA certificates in this PEM file (for a registry with a private CA)' -r -F
complete -c regctl -n "__fish_regctl_using_subcommand catalog" -s u -l user -d 'User name; without it the credentials stored by `regctl login` or `docker login` are used' -r
complete -c regctl -n "__fish_regctl_using_subcommand catalog" -s c -l config -d 'Registry config file (distribution\'s config.yml schema)' -r -F
complete -c regctl -n "__fish_regctl_using_subcommand catalog" -s o -l output -d 'Output format for results' -r -f -a "table\t'Human-readable tables and sentences'
json\t'Machine-readable JSON on stdout'"
complete -c regctl -n "__fish_regctl_using_subcommand catalog" -l count-tags -d 'Also count the tags of each repository (one request per repository)'
complete -c regctl -n "__fish_regctl_using_subcommand catalog" -l insecure -d 'Allow plain HTTP and accept any TLS certificate'
complete -c regctl -n "__fish_regctl_using_subcommand catalog" -l password-stdin -d 'Read the password from stdin (with --user)'
complete -c regctl -n "__fish_regctl_using_subcommand catalog" -s q -l quiet -d 'Print only results and errors'
complete -c regctl -n "__fish_regctl_using_subcommand catalog" -s v -l verbose -d 'Print more detail (repeat for more)'
complete -c regctl -n "__fish_regctl_using_subcommand catalog" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c regctl -n "__fish_regctl_using_subcommand catalog" -s V -l version -d 'Print version'
complete -c regctl -n "__fish_regctl_using_subcommand tags" -l concurrency -d 'HEAD requests in flight at once when reading tag details' -r
complete -c regctl -n "__fish_regctl_using_subcommand tags" -l limit -d 'Stop after this many entries' -r
complete -c regctl -n "__fish_regctl_using_subcommand tags" -s n -l page-size -d 'Ask for this many entries per request (`n`); the registry\'s default when absent' -r
complete -c regctl -n "__fish_regctl_using_subcommand tags" -l ca-file -d 'Trust the CA certificates in this PEM file (for a registry with a private CA)' -r -F
complete -c regctl -n "__fish_regctl_using_subcommand tags" -s u -l user -d 'User name; without it the credentials stored by `regctl login` or `docker login` are used' -r
complete -c regctl -n "__fish_regctl_using_subcommand tags" -s c -l config -d 'Registry config file (distribution\'s config.yml schema)' -r -F
complete -c regctl -n "__fish_regctl_using_subcommand tags" -s o -l output -d 'Output format for results' -r -f -a "table\t'Human-readable tables and sentences'
json\t'Machine-readable JSON on stdout'"
complete -c regctl -n "__fish_regctl_using_subcommand tags" -l names-only -d 'Only list tag names (skips one HEAD request per tag)'
complete -c regctl -n "__fish_regctl_using_subcommand tags" -l details -d 'Also show when each image was created and its total size (reads each manifest and image config: two more requests per tag)'
complete -c regctl -n "__fish_regctl_using_subcommand tags" -l insecure -d 'Allow plain HTTP and accept any TLS certificate'
complete -c regctl -n "__fish_regctl_using_subcommand tags" -l password-stdin -d 'Read the password from stdin (with --user)'
complete -c regctl -n "__fish_regctl_using_subcommand tags" -s q -l quiet -d 'Print only results and errors'
complete -c regctl -n "__fish_regctl_using_subcommand tags" -s v -l verbose -d 'Print more detail (repeat for more)'
complete -c regctl -n "__fish_regctl_using_subcommand tags" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c regctl -n "__fish_regctl_using_subcommand tags" -s V -l version -d 'Print version'
complete -c regctl -n "__fish_regctl_using_subcommand manifest" -l platform -d 'For an index (multi-platform image), show the manifest of this os/arch[/variant]' -r
complete -c regctl -n "__fish_regctl_using_subcommand manifest" -l ca-file -d 'Trust the CA certificates in this PEM file (for a registry with a private CA)' -r -F
complete -c regctl -n "__fish_regctl_using_subcommand manifest" -s u -l user -d 'User name; without it the credentials stored by `regctl login` or `docker login` are used' -r
complete -c regctl -n "__fish_regctl_using_subcommand manifest" -s c -l config -d 'Registry config file (distribution\'s config.yml schema)' -r -F
complete -c regctl -n "__fish_regctl_using_subcommand manifest" -s o -l output -d 'Output format for results' -r -f -a "table\t'Human-readable tables and sentences'
json\t'Machine-readable JSON on stdout'"
complete -c regctl -n "__fish_regctl_using_subcommand manifest" -l insecure -d 'Allow plain HTTP and accept any TLS certificate'
complete -c regctl -n "__fish_regctl_using_subcommand manifest" -l password-stdin -d 'Read the password from stdin (with --user)'
complete -c regctl -n "__fish_regctl_using_subcommand manifest" -s q -l quiet -d 'Print only results and errors'
complete -c regctl -n "__fish_regctl_using_subcommand manifest" -s v -l verbose -d 'Print more detail (repeat for more)'
complete -c regctl -n "__fish_regctl_using_subcommand manifest" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c regctl -n "__fish_regctl_using_subcommand manifest" -s V -l version -d 'Print version'
complete -c regctl -n "__fish_regctl_using_subcommand delete" -l ca-file -d 'Trust the CA certificates in this PEM file (for a registry with a private CA)' -r -F
complete -c regctl -n "__fish_regctl_using_subcommand delete" -s u -l user -d 'User name; without it the credentials stored by `regctl login` or `docker login` are used' -r
complete -c regctl -n "__fish_regctl_using_subcommand delete" -s c -l config -d 'Registry config file (distribution\'s config.yml schema)' -r -F
complete -c regctl -n "__fish_regctl_using_subcommand delete" -s o -l output -d 'Output format for results' -r -f -a "table\t'Human-readable tables and sentences'
json\t'Machine-readable JSON on stdout'"
complete -c regctl -n "__fish_regctl_using_subcommand delete" -s y -l yes -d 'Do not ask for confirmation (required when stdin is not a terminal)'
complete -c regctl -n "__fish_regctl_using_subcommand delete" -l dry-run -d 'Show what would be deleted and stop'
complete -c regctl -n "__fish_regctl_using_subcommand delete" -l tag-only -d 'Remove only the tag, keeping the manifest and its other tags'
complete -c regctl -n "__fish_regctl_using_subcommand delete" -l insecure -d 'Allow plain HTTP and accept any TLS certificate'
complete -c regctl -n "__fish_regctl_using_subcommand delete" -l password-stdin -d 'Read the password from stdin (with --user)'
complete -c regctl -n "__fish_regctl_using_subcommand delete" -s q -l quiet -d 'Print only results and errors'
complete -c regctl -n "__fish_regctl_using_subcommand delete" -s v -l verbose -d 'Print more detail (repeat for more)'
complete -c regctl -n "__fish_regctl_using_subcommand delete" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c regctl -n "__fish_regctl_using_subcommand delete" -s V -l version -d 'Print version'
complete -c regctl -n "__fish_regctl_using_subcommand login" -l ca-file -d 'Trust the CA certificates in this PEM file (for a registry with a private CA)' -r -F
complete -c regctl -n "__fish_regctl_using_subcommand login" -s u -l user -d 'User name; without it the credentials stored by `regctl login` or `docker login` are used' -r
complete -c regctl -n "__fish_regctl_using_subcommand login" -s c -l config -d 'Registry config file (distribution\'s config.yml schema)' -r -F
complete -c regctl -n "__fish_regctl_using_subcommand login" -s o -l output -d 'Output format for results' -r -f -a "table\t'Human-readable tables and sentences'
json\t'Machine-readable JSON on stdout'"
complete -c regctl -n "__fish_regctl_using_subcommand login" -l insecure -d 'Allow plain HTTP and accept any TLS certificate'
complete -c regctl -n "__fish_regctl_using_subcommand login" -l password-stdin -d 'Read the password from stdin (with --user)'
complete -c regctl -n "__fish_regctl_using_subcommand login" -s q -l quiet -d 'Print only results and errors'
complete -c regctl -n "__fish_regctl_using_subcommand login" -s v -l verbose -d 'Print more detail (repeat for more)'
complete -c regctl -n "__fish_regctl_using_subcommand login" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c regctl -n "__fish_regctl_using_subcommand login" -s V -l version -d 'Print version'
complete -c regctl -n "__fish_regctl_using_subcommand logout" -s c -l config -d 'Registry config file (distribution\'s config.yml schema)' -r -F
complete -c regctl -n "__fish_regctl_using_subcommand logout" -s o -l output -d 'Output format for results' -r -f -a "table\t'Human-readable tables and sentences'
json\t'Machine-readable JSON on stdout'"
complete -c regctl -n "__fish_regctl_using_subcommand logout" -s q -l quiet -d 'Print only results and errors'
complete -c regctl -n "__fish_regctl_using_subcommand logout" -s v -l verbose -d 'Print more detail (repeat for more)'
complete -c regctl -n "__fish_regctl_using_subcommand logout" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c regctl -n "__fish_regctl_using_subcommand logout" -s V -l version -d 'Print version'
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
complete -c regctl -n "__fish_regctl_using_subcommand help; and not __fish_seen_subcommand_from catalog tags manifest delete login logout completions man help" -f -a "catalog" -d 'List the repositories of a registry'
complete -c regctl -n "__fish_regctl_using_subcommand help; and not __fish_seen_subcommand_from catalog tags manifest delete login logout completions man help" -f -a "tags" -d 'List the tags of a repository with digest, media type and size'
complete -c regctl -n "__fish_regctl_using_subcommand help; and not __fish_seen_subcommand_from catalog tags manifest delete login logout completions man help" -f -a "manifest" -d 'Show a manifest, or the one an index holds for a platform'
complete -c regctl -n "__fish_regctl_using_subcommand help; and not __fish_seen_subcommand_from catalog tags manifest delete login logout completions man help" -f -a "delete" -d 'Delete an image manifest by tag or digest, or only a tag'
complete -c regctl -n "__fish_regctl_using_subcommand help; and not __fish_seen_subcommand_from catalog tags manifest delete login logout completions man help" -f -a "login" -d 'Check and store registry credentials in the docker config'
complete -c regctl -n "__fish_regctl_using_subcommand help; and not __fish_seen_subcommand_from catalog tags manifest delete login logout completions man help" -f -a "logout" -d 'Remove the stored credentials of a registry'
complete -c regctl -n "__fish_regctl_using_subcommand help; and not __fish_seen_subcommand_from catalog tags manifest delete login logout completions man help" -f -a "completions" -d 'Print a shell completion script, or write all of them to a directory'
complete -c regctl -n "__fish_regctl_using_subcommand help; and not __fish_seen_subcommand_from catalog tags manifest delete login logout completions man help" -f -a "man" -d 'Print the regctl(1) man page, or write every page to a directory'
complete -c regctl -n "__fish_regctl_using_subcommand help; and not __fish_seen_subcommand_from catalog tags manifest delete login logout completions man help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
