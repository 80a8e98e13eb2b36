package emulator

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/graph-gophers/graphql-go"
)

// Worker pools and AWS integrations as the Terraform provider manages them.
// Both are also seeded through the control API; the mutations give them
// ULID ids, as Spacelift does.

type workerPoolArgs struct {
	Name                   string
	Description            *string
	Labels                 *[]string
	Space                  *graphql.ID
	DriftDetectionRunLimit *int32
}

func (s *Server) applyWorkerPoolLocked(ctx context.Context, wp *workerPoolData, in workerPoolArgs) error {
	name, space, err := s.nameAndSpaceLocked(ctx, in.Name, in.Space)
	if err != nil {
		return err
	}
	if in.DriftDetectionRunLimit != nil && *in.DriftDetectionRunLimit < 0 {
		return errors.New("driftDetectionRunLimit must not be negative")
	}
	wp.Name, wp.Description, wp.Labels, wp.Space, wp.DriftDetectionRunLimit = name, in.Description, list(in.Labels), space, in.DriftDetectionRunLimit
	wp.UpdatedAt = unix(s.nowLocked())
	return nil
}

func checkCSR(csr string) error {
	if !strings.Contains(csr, "-----BEGIN CERTIFICATE REQUEST-----") {
		return errors.New("certificateSigningRequest must be a PEM-encoded certificate signing request")
	}
	return nil
}

type workerPoolCreateArgs struct {
	workerPoolArgs
	CertificateSigningRequest string
}

// WorkerPoolCreate makes a private worker pool.
func (r *rootResolver) WorkerPoolCreate(ctx context.Context, args workerPoolCreateArgs) (*workerPoolView, error) {
	if err := checkCSR(args.CertificateSigningRequest); err != nil {
		return nil, fmt.Errorf("could not create worker pool: %w", err)
	}
	s := r.s
	return createObject(ctx, s, workerPoolObjects, func() (*workerPoolData, graphql.ID, error) {
		wp := &workerPoolData{described: described{spaced: spaced{CreatedAt: unix(s.nowLocked())}}}
		if err := s.applyWorkerPoolLocked(ctx, wp, args.workerPoolArgs); err != nil {
			return nil, "", err
		}
		wp.ID = s.nextIDLocked()
		return wp, wp.ID, nil
	}, s.workerPoolViewLocked)
}

type workerPoolUpdateArgs struct {
	workerPoolArgs
	ID graphql.ID
}

// WorkerPoolUpdate replaces a pool's settings.
func (r *rootResolver) WorkerPoolUpdate(ctx context.Context, args workerPoolUpdateArgs) (*workerPoolView, error) {
	return replaceObject(ctx, r.s, workerPoolObjects, args.ID,
		func(wp *workerPoolData) error { return r.s.applyWorkerPoolLocked(ctx, wp, args.workerPoolArgs) }, r.s.workerPoolViewLocked)
}

type workerPoolResetArgs struct {
	ID                        graphql.ID
	CertificateSigningRequest string
}

// WorkerPoolReset takes a new certificate signing request.
func (r *rootResolver) WorkerPoolReset(ctx context.Context, args workerPoolResetArgs) (*workerPoolView, error) {
	if err := checkCSR(args.CertificateSigningRequest); err != nil {
		return nil, fmt.Errorf("could not reset worker pool: %w", err)
	}
	return onObject(ctx, r.s, workerPoolObjects, args.ID, func(wp *workerPoolData) (*workerPoolView, error) {
		wp.UpdatedAt = unix(r.s.nowLocked())
		return r.s.workerPoolViewLocked(wp), nil
	})
}

// WorkerPoolDelete removes a pool no stack uses; a missing one is null.
func (r *rootResolver) WorkerPoolDelete(ctx context.Context, args idArg) (*workerPoolView, error) {
	return deleteObject(ctx, r.s, workerPoolObjects, args.ID, r.s.workerPoolUnusedLocked, r.s.workerPoolViewLocked)
}

// workerPoolUnusedLocked refuses to delete a pool that stacks use.
func (s *Server) workerPoolUnusedLocked(wp *workerPoolData) error {
	var users []string
	for _, st := range s.st.Stacks {
		if st.WorkerPoolID != nil && *st.WorkerPoolID == wp.ID {
			users = append(users, string(st.ID))
		}
	}
	if len(users) > 0 {
		slices.Sort(users)
		return fmt.Errorf("could not delete worker pool %q: stacks %s use it", wp.ID, strings.Join(users, ", "))
	}
	return nil
}

type awsIntegrationArgs struct {
	Name                        string
	RoleArn                     string
	GenerateCredentialsInWorker bool
	ExternalID                  *string
	DurationSeconds             *int32
	Labels                      *[]string
	Space                       *graphql.ID
	Region                      *string
	AutoattachEnabled           *bool
	TagAssumeRole               *bool
}

func (s *Server) applyAWSIntegrationLocked(ctx context.Context, in *awsIntegration, args awsIntegrationArgs) error {
	name := strings.TrimSpace(args.Name)
	switch {
	case name == "":
		return errors.New("name can't be empty")
	case !strings.HasPrefix(args.RoleArn, "arn:"):
		return fmt.Errorf("roleArn %q is not an IAM role ARN", args.RoleArn)
	}
	duration := int32(900)
	if args.DurationSeconds != nil && *args.DurationSeconds != 0 {
		duration = *args.DurationSeconds
	}
	if duration < 900 || duration > 43200 {
		return fmt.Errorf("durationSeconds must be between 900 and 43200, got %d", duration)
	}
	space, err := s.adminSpaceLocked(ctx, args.Space)
	if err != nil {
		return err
	}
	for _, other := range s.st.AwsIntegrations {
		if other.Name == name && other.ID != in.ID {
			return fmt.Errorf("an AWS integration named %q already exists", name)
		}
	}
	in.Name, in.RoleArn, in.GenerateCredentialsInWorker = name, args.RoleArn, args.GenerateCredentialsInWorker
	if args.ExternalID != nil && *args.ExternalID != "" {
		in.ExternalId = *args.ExternalID
	}
	in.DurationSeconds, in.Labels, in.Space, in.Region = duration, list(args.Labels), space, args.Region
	in.AutoattachEnabled, in.TagAssumeRole = orFalse(args.AutoattachEnabled), orFalse(args.TagAssumeRole)
	return nil
}

// AwsIntegrationCreate makes an AWS integration.
func (r *rootResolver) AwsIntegrationCreate(ctx context.Context, args awsIntegrationArgs) (*awsIntegrationView, error) {
	s := r.s
	return createObject(ctx, s, awsObjects, func() (*awsIntegration, graphql.ID, error) {
		in := &awsIntegration{ID: s.nextIDLocked()}
		in.ExternalId = "emulator@" + string(in.ID)
		return in, in.ID, s.applyAWSIntegrationLocked(ctx, in, args)
	}, s.awsViewLocked)
}

type awsIntegrationUpdateArgs struct {
	awsIntegrationArgs
	ID graphql.ID
}

// AwsIntegrationUpdate replaces an AWS integration's settings.
func (r *rootResolver) AwsIntegrationUpdate(ctx context.Context, args awsIntegrationUpdateArgs) (*awsIntegrationView, error) {
	return replaceObject(ctx, r.s, awsObjects, args.ID,
		func(in *awsIntegration) error { return r.s.applyAWSIntegrationLocked(ctx, in, args.awsIntegrationArgs) }, r.s.awsViewLocked)
}

// AwsIntegrationDelete removes an integration and its attachments; a
// missing one is null.
func (r *rootResolver) AwsIntegrationDelete(ctx context.Context, args idArg) (*awsIntegrationView, error) {
	return deleteObject(ctx, r.s, awsObjects, args.ID, nil, r.s.awsViewLocked)
}

// AwsIntegrationByName finds an integration by its name.
func (r *rootResolver) AwsIntegrationByName(ctx context.Context, args struct{ Name string }) (*awsIntegrationView, error) {
	return findBy(ctx, r.s, func(st *state) (*awsIntegration, bool) {
		for _, in := range sortedValues(st.AwsIntegrations) {
			if in.Name == args.Name {
				return in, true
			}
		}
		return nil, false
	}, nil, r.s.awsViewLocked)
}
