# fish completion for nlshell.
#
# Candidates come from `nlshell --complete -- WORDS...` (the shell's own grammar, with live
# interface and namespace names).
#
# Install: copy this file to ~/.config/fish/completions/nlshell.fish

function __nlshell_complete
    set -l args (commandline -opc)
    set -e args[1]
    set -l cur (commandline -ct)
    if contains -- "$args[-1]" -b -batch --batch
        __fish_complete_path "$cur"
        return
    end
    # "$cur" stays one (possibly empty) word: the word being completed
    nlshell --complete -- $args "$cur" 2>/dev/null
end

complete -c nlshell -f -a '(__nlshell_complete)'
