
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
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print a shell completion script, or write all of them to a directory')
            [CompletionResult]::new('man', 'man', [CompletionResultType]::ParameterValue, 'Print the regctl(1) man page, or write every page to a directory')
            [CompletionResult]::new('serve', 'serve', [CompletionResultType]::ParameterValue, 'Run the registry server')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
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
        'regctl;serve' {
            [CompletionResult]::new('--addr', '--addr', [CompletionResultType]::ParameterName, 'Address to listen on')
            [CompletionResult]::new('--root', '--root', [CompletionResultType]::ParameterName, 'Storage root (registry:2''s rootdirectory)')
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
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print a shell completion script, or write all of them to a directory')
            [CompletionResult]::new('man', 'man', [CompletionResultType]::ParameterValue, 'Print the regctl(1) man page, or write every page to a directory')
            [CompletionResult]::new('serve', 'serve', [CompletionResultType]::ParameterValue, 'Run the registry server')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'regctl;help;completions' {
            break
        }
        'regctl;help;man' {
            break
        }
        'regctl;help;serve' {
            break
        }
        'regctl;help;help' {
            break
        }
    })

    $completions.Where{ $_.CompletionText -like "$wordToComplete*" } |
        Sort-Object -Property ListItemText
}
