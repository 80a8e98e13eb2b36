package emulator

import (
	"fmt"
	"slices"

	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/parser"
)

// Enums are closed: a value outside its enum makes graph-gophers fail the
// whole field, and a client that reads it (the operator, spacectl, the
// Terraform provider) sees a failed read. Every enum value the emulator
// stores without it having come through a GraphQL input (run and stack
// states set by the state machine, values seeded through the control API) is
// checked against the schema here before it is stored.

// schemaEnums maps each enum of the schema to its values.
var schemaEnums = parseEnums(Schema)

func parseEnums(sdl string) map[string][]string {
	doc, err := parser.ParseSchema(&ast.Source{Name: "schema.graphql", Input: sdl})
	if err != nil {
		panic(fmt.Sprintf("parsing the emulator schema: %v", err))
	}
	out := map[string][]string{}
	for _, def := range doc.Definitions {
		if def.Kind != ast.Enum {
			continue
		}
		for _, v := range def.EnumValues {
			out[def.Name] = append(out[def.Name], v.Name)
		}
	}
	return out
}

// enumHas reports whether value is a member of the named enum.
func enumHas(enum, value string) bool { return slices.Contains(schemaEnums[enum], value) }

// checkEnum returns an error that names the enum and its values when value
// is not one of them.
func checkEnum(field, enum, value string) error {
	if enumHas(enum, value) {
		return nil
	}
	return fmt.Errorf("%s: %q is not a %s (one of %v)", field, value, enum, schemaEnums[enum])
}

// stackStateOf is the StackState a stack shows while its blocking run is in
// runState. Run states that are not stack states (QUEUED, READY: waiting for
// a worker; CANCELED, SKIPPED, PENDING, PENDING_REVIEW, PERFORMING) leave
// the stack state where it was.
func stackStateOf(runState string) (string, bool) {
	if enumHas("StackState", runState) {
		return runState, true
	}
	return "", false
}
