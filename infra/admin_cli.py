"""`make admin PHONE=13800000000`: give a user (by phone) the admin role; they log in with SMS like anyone else."""

from __future__ import annotations

import argparse


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("phone", help="中国大陆手机号")
    args = parser.parse_args()
    from shared.auth.schemas import normalize_phone
    from shared.auth.service import make_admin
    from shared.uow import run

    try:
        phone = normalize_phone(args.phone)
    except ValueError as exc:
        parser.error(str(exc))
    user_id = run(lambda uow: make_admin(uow, phone))
    print(f"user {user_id} ({phone}) is now an admin")


if __name__ == "__main__":
    main()
