package deploy

import (
	"hello-microservice/internal/c8y"
	"hello-microservice/internal/credentials"
)

// NewClient returns a client for the platform of creds that authenticates with the token
// when one is set, and otherwise with the user and password.
func NewClient(creds credentials.Credentials, opts ...c8y.Option) (*c8y.Client, error) {
	opts = append([]c8y.Option{c8y.WithUserAgent("hello-microservice-deploy")}, opts...)
	client, err := c8y.New(creds.BaseURL, opts...)
	if err != nil {
		return nil, err
	}
	if creds.Token != "" {
		return client.WithAuth(c8y.BearerToken(creds.Token)), nil
	}
	return client.WithAuth(c8y.Credentials{Tenant: creds.Tenant, User: creds.User, Password: creds.Password}), nil
}
