"""Expression languages embedded in pipeline files (GitHub Actions ``${{ }}``...)."""
