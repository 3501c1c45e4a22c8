"""The orders register: subjects (personal fields encrypted, a blind index), orders, exclusion zones,
breaches, need-to-know grants and the alerts already sent.

Revision ID: v0004_orders
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "v0004_orders"
down_revision: str | None = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "order_subjects",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("date_of_birth", sa.Text(), nullable=False),
        sa.Column("photo_ref", sa.Text(), nullable=True),
        sa.Column("person_index", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("created_by", sa.String(320), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_order_subjects"),
    )
    op.create_index("ix_order_subjects_person_index", "order_subjects", ["person_index"])
    op.create_table(
        "orders",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("borough_code", sa.String(9), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("order_type", sa.String(20), nullable=False),
        sa.Column("issued_by", sa.String(200), nullable=False),
        sa.Column("reference", sa.String(100), nullable=False),
        sa.Column("made_on", sa.Date(), nullable=False),
        sa.Column("expires_on", sa.Date(), nullable=True),
        sa.Column("conditions", sa.Text(), nullable=False),
        sa.Column("officer_name", sa.String(200), nullable=False),
        sa.Column("officer_email", sa.String(320), nullable=False),
        sa.Column("officer_phone", sa.String(50), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("created_by", sa.String(320), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("updated_by", sa.String(320), nullable=False),
        sa.ForeignKeyConstraint(
            ["subject_id"], ["order_subjects.id"], name="fk_orders_subject_id_order_subjects", ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_orders"),
    )
    op.create_index("ix_orders_borough_code", "orders", ["borough_code"])
    op.create_index("ix_orders_subject_id", "orders", ["subject_id"])
    op.create_index("ix_orders_expires_on", "orders", ["expires_on"])
    op.create_table(
        "order_zones",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("label", sa.String(200), nullable=False),
        sa.Column("geojson", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("created_by", sa.String(320), nullable=False),
        sa.ForeignKeyConstraint(["order_id"], ["orders.id"], name="fk_order_zones_order_id_orders", ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name="pk_order_zones"),
    )
    op.create_index("ix_order_zones_order_id", "order_zones", ["order_id"])
    op.create_table(
        "order_breaches",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("occurred_on", sa.Date(), nullable=False),
        sa.Column("longitude", sa.Float(), nullable=True),
        sa.Column("latitude", sa.Float(), nullable=True),
        sa.Column("source", sa.String(20), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("zone_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("created_by", sa.String(320), nullable=False),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name="fk_order_breaches_order_id_orders", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_order_breaches"),
    )
    op.create_index("ix_order_breaches_order_id", "order_breaches", ["order_id"])
    op.create_index("ix_order_breaches_created_at", "order_breaches", ["created_at"])
    op.create_table(
        "need_to_know",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("actor", sa.String(320), nullable=False),
        sa.Column("record_type", sa.String(40), nullable=False),
        sa.Column("record_id", sa.String(64), nullable=False),
        sa.Column("borough", sa.String(9), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("granted_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_need_to_know"),
    )
    op.create_index("ix_need_to_know_actor", "need_to_know", ["actor"])
    op.create_table(
        "alerts_sent",
        sa.Column("key", sa.String(200), nullable=False),
        sa.Column("sent_at", sa.DateTime(), nullable=False),
        sa.Column("recipients", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("key", name="pk_alerts_sent"),
    )


def downgrade() -> None:
    for table in ("alerts_sent", "need_to_know", "order_breaches", "order_zones", "orders", "order_subjects"):
        op.drop_table(table)
