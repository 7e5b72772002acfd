"""Terraform export: HCL writing and Scaleway resources as provider resources."""
