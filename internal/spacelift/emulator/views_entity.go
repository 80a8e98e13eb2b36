package emulator

import "strings"

// The EntityVendor union and the per-vendor entity unions below it. The
// emulator's managed entities are Terraform-style resources (an address and
// a type); it reports them as TerraformResource on Terraform, OpenTofu and
// Terragrunt stacks, and for any other vendor as that vendor's member with a
// null detail, because it knows nothing vendor-specific about them. Members
// the emulator never produces still need resolver types: graph-gophers checks
// every member of a union when it parses the schema.

// entityVendorKind names the EntityVendor member of a stack's entities.
type entityVendorKind int

const (
	terraformEntities entityVendorKind = iota
	ansibleEntities
	cloudFormationEntities
	kubernetesEntities
	pulumiEntities
)

func entityVendorOf(v vendorConfig) entityVendorKind {
	switch {
	case v.Ansible != nil:
		return ansibleEntities
	case v.CloudFormation != nil:
		return cloudFormationEntities
	case v.Kubernetes != nil:
		return kubernetesEntities
	case v.Pulumi != nil:
		return pulumiEntities
	}
	return terraformEntities
}

// Vendor resolves ManagedEntity.vendor.
func (e *entityView) Vendor() *entityVendorView {
	u := &entityVendorView{kind: e.vendorKind}
	if e.vendorKind == terraformEntities {
		module, rest := splitTerraformModule(e.Address)
		mode := "managed"
		if strings.HasPrefix(rest, "data.") {
			mode = "data"
		}
		u.terraform = &terraformResource{Address: e.Address, Mode: mode, Module: module}
	}
	return u
}

// splitTerraformModule splits a resource address such as
// module.net.module.vpc["a.b"].aws_vpc.main into its module path
// (module.net.module.vpc["a.b"]) and the rest (aws_vpc.main). Dots inside
// index brackets and quotes do not separate steps.
func splitTerraformModule(addr string) (module, rest string) {
	rest = addr
	for strings.HasPrefix(rest, "module.") {
		end := stepEnd(rest, len("module."))
		if end >= len(rest) {
			break // a bare module address: no resource after it
		}
		if module != "" {
			module += "."
		}
		module += rest[:end]
		rest = rest[end+1:]
	}
	return module, rest
}

// stepEnd returns the index of the first dot at or after i that is outside
// brackets and quotes, or len(s).
func stepEnd(s string, i int) int {
	depth, quoted := 0, false
	for ; i < len(s); i++ {
		switch c := s[i]; {
		case quoted && c == '\\':
			i++
		case quoted:
			quoted = c != '"'
		case c == '"':
			quoted = true
		case c == '[':
			depth++
		case c == ']':
			depth--
		case c == '.' && depth == 0:
			return i
		}
	}
	return len(s)
}

type entityVendorView struct {
	kind      entityVendorKind
	terraform *terraformResource
}

func (u *entityVendorView) ToEntityVendorAnsible() (*entityVendorAnsible, bool) {
	return &entityVendorAnsible{}, u.kind == ansibleEntities
}

func (u *entityVendorView) ToEntityVendorCloudFormation() (*entityVendorCloudFormation, bool) {
	return &entityVendorCloudFormation{}, u.kind == cloudFormationEntities
}

func (u *entityVendorView) ToEntityVendorKubernetes() (*entityVendorKubernetes, bool) {
	return &entityVendorKubernetes{}, u.kind == kubernetesEntities
}

func (u *entityVendorView) ToEntityVendorPulumi() (*entityVendorPulumi, bool) {
	return &entityVendorPulumi{}, u.kind == pulumiEntities
}

func (u *entityVendorView) ToEntityVendorTerraform() (*entityVendorTerraform, bool) {
	if u.kind != terraformEntities {
		return nil, false
	}
	out := &entityVendorTerraform{}
	if u.terraform != nil {
		out.Terraform = &terraformEntity{resource: u.terraform}
	}
	return out, true
}

type entityVendorAnsible struct{ Ansible *ansibleEntity }

type entityVendorCloudFormation struct{ CloudFormation *cloudFormationEntity }

type entityVendorKubernetes struct{ Kubernetes *kubernetesEntity }

type entityVendorPulumi struct{ Pulumi *pulumiEntity }

type entityVendorTerraform struct{ Terraform *terraformEntity }

type ansibleEntity struct{}

func (*ansibleEntity) ToAnsibleResource() (*ansibleResource, bool) { return nil, false }

type ansibleResource struct{ Data string }

type cloudFormationEntity struct{}

func (*cloudFormationEntity) ToCloudFormationOutput() (*cloudFormationOutput, bool) {
	return nil, false
}

func (*cloudFormationEntity) ToCloudFormationResource() (*cloudFormationResource, bool) {
	return nil, false
}

type cloudFormationOutput struct {
	Description *string
	Export      *string
	Value       string
}

type cloudFormationResource struct {
	LogicalResourceID  string
	PhysicalResourceID string
	Template           string
}

type kubernetesEntity struct{}

func (*kubernetesEntity) ToKubernetesResource() (*kubernetesResource, bool) { return nil, false }

func (*kubernetesEntity) ToKubernetesRoot() (*phantomEntity, bool) { return nil, false }

type kubernetesResource struct{ Data string }

// phantomEntity is a grouping node (module, stack, root) with no resource behind it.
type phantomEntity struct{ Phantom bool }

type pulumiEntity struct{}

func (*pulumiEntity) ToPulumiOutput() (*outputEntity, bool) { return nil, false }

func (*pulumiEntity) ToPulumiResource() (*pulumiResource, bool) { return nil, false }

func (*pulumiEntity) ToPulumiStack() (*phantomEntity, bool) { return nil, false }

// outputEntity is a Pulumi or Terraform output seen as an entity.
type outputEntity struct {
	Hash      string
	Sensitive bool
	Value     *string
}

type pulumiResource struct {
	ID       string
	Outputs  string
	Parent   string
	Provider string
	Urn      string
}

type terraformEntity struct{ resource *terraformResource }

func (*terraformEntity) ToTerraformModule() (*phantomEntity, bool) { return nil, false }

func (*terraformEntity) ToTerraformOutput() (*outputEntity, bool) { return nil, false }

func (t *terraformEntity) ToTerraformResource() (*terraformResource, bool) {
	return t.resource, t.resource != nil
}

type terraformResource struct {
	Address  string
	Mode     string
	Module   string
	Provider *string
	Tainted  bool
	Values   *string
}
