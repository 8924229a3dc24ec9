
using namespace System.Management.Automation
using namespace System.Management.Automation.Language

Register-ArgumentCompleter -Native -CommandName 'regctl' -ScriptBlock {
    param($wordToComplete, $commandAst, $cursorPosition)

    $commandElements = $commandAst.CommandElements
    $command = @(
        'regctl'
        for ($i = 1; $i -lt $commandElements.Count; $i++) {
            $element = $commandElements[$i]
            if ($element -isnot [StringConstantExpressionAst] -or
                $element.StringConstantType -ne [StringConstantType]::BareWord -or
                $element.Value.StartsWith('-') -or
                $element.Value -eq $wordToComplete) {
                break
        }
        $element.Value
    }) -join ';'

    $completions = @(switch ($command) {
        'regctl' {
            [CompletionResult]::new('-c', '-c', [CompletionResultType]::ParameterName, 'Registry config file (distribution''s config.yml schema)')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Registry config file (distribution''s config.yml schema)')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format for results')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format for results')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only results and errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only results and errors')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print more detail (repeat for more)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print more detail (repeat for more)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('catalog', 'catalog', [CompletionResultType]::ParameterValue, 'List the repositories of a registry')
            [CompletionResult]::new('tags', 'tags', [CompletionResultType]::ParameterValue, 'List the tags of a repository with digest, media type and size')
            [CompletionResult]::new('manifest', 'manifest', [CompletionResultType]::ParameterValue, 'Show a manifest, or the one an index holds for a platform')
            [CompletionResult]::new('delete', 'delete', [CompletionResultType]::ParameterValue, 'Delete an image manifest by tag or digest, or only a tag')
            [CompletionResult]::new('login', 'login', [CompletionResultType]::ParameterValue, 'Check and store registry credentials in the docker config')
            [CompletionResult]::new('logout', 'logout', [CompletionResultType]::ParameterValue, 'Remove the stored credentials of a registry')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print a shell completion script, or write all of them to a directory')
            [CompletionResult]::new('man', 'man', [CompletionResultType]::ParameterValue, 'Print the regctl(1) man page, or write every page to a directory')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'regctl;catalog' {
            [CompletionResult]::new('--limit', '--limit', [CompletionResultType]::ParameterName, 'Stop after this many entries')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'Ask for this many entries per request (`n`); the registry''s default when absent')
            [CompletionResult]::new('--page-size', '--page-size', [CompletionResultType]::ParameterName, 'Ask for this many entries per request (`n`); the registry''s default when absent')
            [CompletionResult]::new('--ca-file', '--ca-file', [CompletionResultType]::ParameterName, 'Trust the CA certificates in this PEM file (for a registry with a private CA)')
            [CompletionResult]::new('-u', '-u', [CompletionResultType]::ParameterName, 'User name; without it the credentials stored by `regctl login` or `docker login` are used')
            [CompletionResult]::new('--user', '--user', [CompletionResultType]::ParameterName, 'User name; without it the credentials stored by `regctl login` or `docker login` are used')
            [CompletionResult]::new('-c', '-c', [CompletionResultType]::ParameterName, 'Registry config file (distribution''s config.yml schema)')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Registry config file (distribution''s config.yml schema)')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format for results')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format for results')
            [CompletionResult]::new('--count-tags', '--count-tags', [CompletionResultType]::ParameterName, 'Also count the tags of each repository (one request per repository)')
            [CompletionResult]::new('--insecure', '--insecure', [CompletionResultType]::ParameterName, 'Allow plain HTTP and accept any TLS certificate')
            [CompletionResult]::new('--password-stdin', '--password-stdin', [CompletionResultType]::ParameterName, 'Read the password from stdin (with --user)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only results and errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only results and errors')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print more detail (repeat for more)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print more detail (repeat for more)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'regctl;tags' {
            [CompletionResult]::new('--concurrency', '--concurrency', [CompletionResultType]::ParameterName, 'HEAD requests in flight at once when reading tag details')
            [CompletionResult]::new('--limit', '--limit', [CompletionResultType]::ParameterName, 'Stop after this many entries')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'Ask for this many entries per request (`n`); the registry''s default when absent')
            [CompletionResult]::new('--page-size', '--page-size', [CompletionResultType]::ParameterName, 'Ask for this many entries per request (`n`); the registry''s default when absent')
            [CompletionResult]::new('--ca-file', '--ca-file', [CompletionResultType]::ParameterName, 'Trust the CA certificates in this PEM file (for a registry with a private CA)')
            [CompletionResult]::new('-u', '-u', [CompletionResultType]::ParameterName, 'User name; without it the credentials stored by `regctl login` or `docker login` are used')
            [CompletionResult]::new('--user', '--user', [CompletionResultType]::ParameterName, 'User name; without it the credentials stored by `regctl login` or `docker login` are used')
            [CompletionResult]::new('-c', '-c', [CompletionResultType]::ParameterName, 'Registry config file (distribution''s config.yml schema)')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Registry config file (distribution''s config.yml schema)')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format for results')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format for results')
            [CompletionResult]::new('--names-only', '--names-only', [CompletionResultType]::ParameterName, 'Only list tag names (skips one HEAD request per tag)')
            [CompletionResult]::new('--details', '--details', [CompletionResultType]::ParameterName, 'Also show when each image was created and its total size (reads each manifest and image config: two more requests per tag)')
            [CompletionResult]::new('--insecure', '--insecure', [CompletionResultType]::ParameterName, 'Allow plain HTTP and accept any TLS certificate')
            [CompletionResult]::new('--password-stdin', '--password-stdin', [CompletionResultType]::ParameterName, 'Read the password from stdin (with --user)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only results and errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only results and errors')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print more detail (repeat for more)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print more detail (repeat for more)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'regctl;manifest' {
            [CompletionResult]::new('--platform', '--platform', [CompletionResultType]::ParameterName, 'For an index (multi-platform image), show the manifest of this os/arch[/variant]')
            [CompletionResult]::new('--ca-file', '--ca-file', [CompletionResultType]::ParameterName, 'Trust the CA certificates in this PEM file (for a registry with a private CA)')
            [CompletionResult]::new('-u', '-u', [CompletionResultType]::ParameterName, 'User name; without it the credentials stored by `regctl login` or `docker login` are used')
            [CompletionResult]::new('--user', '--user', [CompletionResultType]::ParameterName, 'User name; without it the credentials stored by `regctl login` or `docker login` are used')
            [CompletionResult]::new('-c', '-c', [CompletionResultType]::ParameterName, 'Registry config file (distribution''s config.yml schema)')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Registry config file (distribution''s config.yml schema)')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format for results')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format for results')
            [CompletionResult]::new('--insecure', '--insecure', [CompletionResultType]::ParameterName, 'Allow plain HTTP and accept any TLS certificate')
            [CompletionResult]::new('--password-stdin', '--password-stdin', [CompletionResultType]::ParameterName, 'Read the password from stdin (with --user)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only results and errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only results and errors')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print more detail (repeat for more)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print more detail (repeat for more)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'regctl;delete' {
            [CompletionResult]::new('--ca-file', '--ca-file', [CompletionResultType]::ParameterName, 'Trust the CA certificates in this PEM file (for a registry with a private CA)')
            [CompletionResult]::new('-u', '-u', [CompletionResultType]::ParameterName, 'User name; without it the credentials stored by `regctl login` or `docker login` are used')
            [CompletionResult]::new('--user', '--user', [CompletionResultType]::ParameterName, 'User name; without it the credentials stored by `regctl login` or `docker login` are used')
            [CompletionResult]::new('-c', '-c', [CompletionResultType]::ParameterName, 'Registry config file (distribution''s config.yml schema)')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Registry config file (distribution''s config.yml schema)')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format for results')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format for results')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Do not ask for confirmation (required when stdin is not a terminal)')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Do not ask for confirmation (required when stdin is not a terminal)')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Show what would be deleted and stop')
            [CompletionResult]::new('--tag-only', '--tag-only', [CompletionResultType]::ParameterName, 'Remove only the tag, keeping the manifest and its other tags')
            [CompletionResult]::new('--insecure', '--insecure', [CompletionResultType]::ParameterName, 'Allow plain HTTP and accept any TLS certificate')
            [CompletionResult]::new('--password-stdin', '--password-stdin', [CompletionResultType]::ParameterName, 'Read the password from stdin (with --user)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only results and errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only results and errors')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print more detail (repeat for more)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print more detail (repeat for more)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'regctl;login' {
            [CompletionResult]::new('--ca-file', '--ca-file', [CompletionResultType]::ParameterName, 'Trust the CA certificates in this PEM file (for a registry with a private CA)')
            [CompletionResult]::new('-u', '-u', [CompletionResultType]::ParameterName, 'User name; without it the credentials stored by `regctl login` or `docker login` are used')
            [CompletionResult]::new('--user', '--user', [CompletionResultType]::ParameterName, 'User name; without it the credentials stored by `regctl login` or `docker login` are used')
            [CompletionResult]::new('-c', '-c', [CompletionResultType]::ParameterName, 'Registry config file (distribution''s config.yml schema)')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Registry config file (distribution''s config.yml schema)')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format for results')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format for results')
            [CompletionResult]::new('--insecure', '--insecure', [CompletionResultType]::ParameterName, 'Allow plain HTTP and accept any TLS certificate')
            [CompletionResult]::new('--password-stdin', '--password-stdin', [CompletionResultType]::ParameterName, 'Read the password from stdin (with --user)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only results and errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only results and errors')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print more detail (repeat for more)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print more detail (repeat for more)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'regctl;logout' {
            [CompletionResult]::new('-c', '-c', [CompletionResultType]::ParameterName, 'Registry config file (distribution''s config.yml schema)')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Registry config file (distribution''s config.yml schema)')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format for results')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format for results')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only results and errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only results and errors')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print more detail (repeat for more)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print more detail (repeat for more)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'regctl;completions' {
            [CompletionResult]::new('--dir', '--dir', [CompletionResultType]::ParameterName, 'Write the scripts for every shell into DIR instead of printing one')
            [CompletionResult]::new('-c', '-c', [CompletionResultType]::ParameterName, 'Registry config file (distribution''s config.yml schema)')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Registry config file (distribution''s config.yml schema)')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format for results')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format for results')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only results and errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only results and errors')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print more detail (repeat for more)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print more detail (repeat for more)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'regctl;man' {
            [CompletionResult]::new('--dir', '--dir', [CompletionResultType]::ParameterName, 'Write regctl.1 and one page per subcommand (regctl-user.1, ...) into DIR')
            [CompletionResult]::new('-c', '-c', [CompletionResultType]::ParameterName, 'Registry config file (distribution''s config.yml schema)')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Registry config file (distribution''s config.yml schema)')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format for results')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format for results')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only results and errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only results and errors')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print more detail (repeat for more)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print more detail (repeat for more)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'regctl;help' {
            [CompletionResult]::new('catalog', 'catalog', [CompletionResultType]::ParameterValue, 'List the repositories of a registry')
            [CompletionResult]::new('tags', 'tags', [CompletionResultType]::ParameterValue, 'List the tags of a repository with digest, media type and size')
            [CompletionResult]::new('manifest', 'manifest', [CompletionResultType]::ParameterValue, 'Show a manifest, or the one an index holds for a platform')
            [CompletionResult]::new('delete', 'delete', [CompletionResultType]::ParameterValue, 'Delete an image manifest by tag or digest, or only a tag')
            [CompletionResult]::new('login', 'login', [CompletionResultType]::ParameterValue, 'Check and store registry credentials in the docker config')
            [CompletionResult]::new('logout', 'logout', [CompletionResultType]::ParameterValue, 'Remove the stored credentials of a registry')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print a shell completion script, or write all of them to a directory')
            [CompletionResult]::new('man', 'man', [CompletionResultType]::ParameterValue, 'Print the regctl(1) man page, or write every page to a directory')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'regctl;help;catalog' {
            break
        }
        'regctl;help;tags' {
            break
        }
        'regctl;help;manifest' {
            break
        }
        'regctl;help;delete' {
            break
        }
        'regctl;help;login' {
            break
        }
        'regctl;help;logout' {
            break
        }
        'regctl;help;completions' {
            break
        }
        'regctl;help;man' {
            break
        }
        'regctl;help;help' {
            break
        }
    })

    $completions.Where{ $_.CompletionText -like "$wordToComplete*" } |
        Sort-Object -Property ListItemText
}
