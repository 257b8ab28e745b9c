#!/bin/bash
# The Varlink protocol: service interface, framing, named errors for bad calls.
. "$(dirname "$0")/lib.sh"
start_daemon || exit 1
setup_practice

out=$(vcall org.varlink.service.GetInfo)
check_eq '["org.varlink.service","io.practice.Staff"]' "$(jget "$out" '.parameters.interfaces|tojson')" \
	"GetInfo lists the interfaces"

out=$(vcall org.varlink.service.GetInterfaceDescription '{"interface":"io.practice.Staff"}')
check_eq "$(cat "$TOPDIR/docs/io.practice.Staff.varlink")" "$(jget "$out" '.parameters.description' | sed '$d')" \
	"GetInterfaceDescription serves docs/io.practice.Staff.varlink"
check_grep '"org.varlink.service.InterfaceNotFound"' "an unknown interface is named as such" \
	vcall org.varlink.service.GetInterfaceDescription '{"interface":"com.example.Nope"}'
check_grep '"org.varlink.service.MethodNotFound".*"method":"io.practice.Staff.Frobnicate"' \
	"an unknown method is refused by name" vcall io.practice.Staff.Frobnicate
check_grep '"org.varlink.service.InterfaceNotFound"' "a method of an unknown interface is refused" \
	vcall com.example.Thing.Do

before=$(snapshot)
check_grep '"org.varlink.service.InvalidParameter".*"parameter":"colour"' "an unknown field is rejected, naming it" \
	vcall io.practice.Staff.LocationAdd '{"name":"North","colour":"blue"}'
check_grep '"org.varlink.service.InvalidParameter".*"parameter":"name"' "a wrong type is rejected, naming the field" \
	vcall io.practice.Staff.LocationAdd '{"name":42}'
check_grep '"org.varlink.service.InvalidParameter".*"parameter":"name"' "a missing field is rejected, naming it" \
	vcall io.practice.Staff.LocationAdd '{}'
check_grep '"io.practice.Staff.InvalidValue".*"field":"nickname"' "an unknown field inside a user is rejected" \
	vcall io.practice.Staff.UserAdd '{"user":{"username":"x","nickname":"y"}}'
check_grep '"io.practice.Staff.InvalidValue".*"field":"capacity"' "a wrong type inside a user is rejected" \
	vcall io.practice.Staff.UserAdd '{"user":{"username":"x","capacity":"two"}}'
check_grep '"org.varlink.service.ExpectedMore"' "a listing without more is refused" \
	vcall io.practice.Staff.UserList
check_eq "$before" "$(snapshot)" "rejected calls change nothing"

# Framing.
out=$(printf '{"method":"io.practice.Staff.GetStatus"}\0{"method":"org.varlink.service.GetInfo"}\0' | vcall --raw)
check_eq 2 "$(printf '%s\n' "$out" | grep -c '"parameters"')" "two calls in one write get two replies"
out=$(head -c 70000 /dev/zero | tr '\0' 'a' | vcall --raw)
check_grep '"io.practice.Staff.FrameTooLarge".*65536' "a frame over 64 KiB is refused" printf '%s' "$out"
out=$(printf '{"method":"io.practice.Staff.GetStatus",}\0' | vcall --raw)
check_grep '"io.practice.Staff.ProtocolViolation"' "malformed JSON is refused" printf '%s' "$out"
out=$(printf '{"method":"io.practice.Staff.GetStatus","extra":1}\0' | vcall --raw)
check_grep "ProtocolViolation.*unknown field" "an unknown top-level field is refused" printf '%s' "$out"
out=$(printf '{"method":"io.practice.Staff.GetStatus","oneway":true}\0{"method":"org.varlink.service.GetInfo"}\0' | vcall --raw)
check_eq 1 "$(printf '%s\n' "$out" | grep -c '"parameters"')" "a oneway call gets no reply"
check "the daemon still answers after all that" vcall io.practice.Staff.GetStatus

done_testing
