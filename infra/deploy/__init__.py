"""Deploying to Tencent SCF: offline checks (`make deploy-check`), the multi-scf input transformation they apply,
realistic production values for them, the custom domain's routes, remote migrations and the smoke test.
docs/DEPLOY.md is the runbook that uses them."""
