# SPDX-License-Identifier: GPL-2.0
# bash completion for fastpath(8)

_fastpath_ifaces()
{
	local ns=$1
	if [[ -n $ns ]]; then
		ip -n "$ns" -o link show 2>/dev/null | awk -F': ' '{ sub(/@.*/, "", $2); print $2 }'
	else
		ip -o link show 2>/dev/null | awk -F': ' '{ sub(/@.*/, "", $2); print $2 }'
	fi
}

_fastpath()
{
	local cur prev words cword ns="" i cmd="" sub=""
	_init_completion || return

	for ((i = 1; i < cword; i++)); do
		case ${words[i]} in
		-n | --netns) ns=${words[i + 1]}; ((i++)) ;;
		--pin-path | --state-dir | --config) ((i++)) ;;
		-*) ;;
		*)
			if [[ -z $cmd ]]; then
				cmd=${words[i]}
			elif [[ -z $sub ]]; then
				sub=${words[i]}
			fi
			;;
		esac
	done

	case $prev in
	-n | --netns)
		COMPREPLY=($(compgen -W "$(ip netns list 2>/dev/null | awk '{ print $1 }')" -- "$cur"))
		return ;;
	--pin-path | --state-dir) _filedir -d; return ;;
	--config) _filedir conf; return ;;
	--mode) COMPREPLY=($(compgen -W "native skb" -- "$cur")); return ;;
	--class) COMPREPLY=($(compgen -W "peering basic-lb private-link udr other" -- "$cur")); return ;;
	--gateway-port | --uplink | dev)
		COMPREPLY=($(compgen -W "$(_fastpath_ifaces "$ns")" -- "$cur"))
		return ;;
	--output | -w | --write) _filedir; return ;;
	--filter) COMPREPLY=($(compgen -W "fast gateway drop pass all" -- "$cur")); return ;;
	esac

	if [[ -z $cmd ]]; then
		COMPREPLY=($(compgen -W "load unload uplink port route onprem exclude sync stats status explain verify capture apply authorization connection -n --netns --pin-path --state-dir --json -v --help" -- "$cur"))
		return
	fi
	case $cmd in
	load)
		COMPREPLY=($(compgen -W "--mode --gateway-port --force --allow-spoofed-sources $(_fastpath_ifaces "$ns")" -- "$cur")) ;;
	unload)
		[[ -z $sub ]] && COMPREPLY=($(compgen -W "--all $(_fastpath_ifaces "$ns")" -- "$cur")) ;;
	uplink | port | route | onprem | exclude)
		if [[ -z $sub ]]; then
			COMPREPLY=($(compgen -W "add del list" -- "$cur"))
		elif [[ $cmd == port ]]; then
			COMPREPLY=($(compgen -W "--peer-mac --no-return $(_fastpath_ifaces "$ns")" -- "$cur"))
		elif [[ $cmd == uplink ]]; then
			COMPREPLY=($(compgen -W "--gateway-port --allow-spoofed-sources --vlan $(_fastpath_ifaces "$ns")" -- "$cur"))
		elif [[ $cmd == onprem ]]; then
			COMPREPLY=($(compgen -W "via dev lladdr" -- "$cur"))
		elif [[ $cmd == route ]]; then
			COMPREPLY=($(compgen -W "dev lladdr" -- "$cur"))
		else
			COMPREPLY=($(compgen -W "--class" -- "$cur"))
		fi ;;
	sync) COMPREPLY=($(compgen -W "--table --ports --once --verify-interval" -- "$cur")) ;;
	stats) COMPREPLY=($(compgen -W "--interval --prometheus --output" -- "$cur")) ;;
	explain) COMPREPLY=($(compgen -W "--uplink --vlan --from --src" -- "$cur")) ;;
	verify) COMPREPLY=($(compgen -W "--sample --uplink --table" -- "$cur")) ;;
	capture) COMPREPLY=($(compgen -W "-w --count --filter --snaplen --quiet --stop" -- "$cur")) ;;
	apply) COMPREPLY=($(compgen -W "--config --check --offline" -- "$cur")) ;;
	authorization)
		[[ -z $sub ]] && COMPREPLY=($(compgen -W "create revoke list" -- "$cur")) ;;
	connection)
		[[ -z $sub ]] && COMPREPLY=($(compgen -W "del list" -- "$cur")) ;;
	esac
}
complete -F _fastpath fastpath
