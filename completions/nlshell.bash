# bash completion for nlshell.
#
# Candidates come from `nlshell --complete -- WORDS...`, which reads the same grammar as the
# interactive shell and offers live interface and namespace names (from the namespace named
# by -n, else the current one).
#
# Install: `source /path/to/completions/nlshell.bash` in ~/.bashrc, or copy this file to
# ~/.local/share/bash-completion/completions/nlshell (or /usr/share/bash-completion/completions/).

_nlshell() {
    local cur prev cword
    local -a words
    if declare -F _get_comp_words_by_ref >/dev/null 2>&1; then
        # bash-completion: keep MAC addresses and key=value words whole
        _get_comp_words_by_ref -n =: cur prev words cword
    else
        words=("${COMP_WORDS[@]}")
        cword=$COMP_CWORD
        cur=${COMP_WORDS[COMP_CWORD]}
        prev=""
        (( cword > 0 )) && prev=${COMP_WORDS[cword-1]}
    fi
    case $prev in
        -b|-batch|--batch)
            mapfile -t COMPREPLY < <(compgen -f -- "$cur")
            return 0 ;;
    esac
    local prog=${words[0]:-nlshell}
    mapfile -t COMPREPLY < <("$prog" --complete -- "${words[@]:1:cword}" 2>/dev/null)
    if declare -F __ltrim_colon_completions >/dev/null 2>&1; then
        __ltrim_colon_completions "$cur"
    fi
    return 0
}
complete -F _nlshell nlshell
