"""The bookings app's tables.

btree_gist comes first: the exclusion constraint on the rooms a booking holds compares a room id
with "=" inside a GiST index. The extension operation and the constraint (bookings.constraints)
do nothing on other databases, so SQLite creates the same tables from this migration. btree_gist
is a trusted extension (PostgreSQL 13 and later): the database's owner may create it. Unapplying
leaves it installed: other tables may use it by then, and SQLite has no extensions to drop.
"""

import bookings.constraints
from django.contrib.postgres.operations import BtreeGistExtension
import django.core.validators
import django.db.models.deletion
import guests.validators
import simple_history.models
from decimal import Decimal
from django.conf import settings
from django.db import migrations, models


class BtreeGistExtensionKept(BtreeGistExtension):
    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        pass


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('guests', '0008_cardtransfer_sends'),
        ('staff', '0012_audit_account_unlocked'),
        ('visits', '0005_visit_guest_history_covering_idx'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        BtreeGistExtensionKept(),
        migrations.CreateModel(
            name='BookingSettings',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('breakfast_minutes', models.PositiveSmallIntegerField(default=90, validators=[django.core.validators.MinValueValidator(30), django.core.validators.MaxValueValidator(720)], verbose_name='breakfast lasts (minutes)')),
                ('lunch_minutes', models.PositiveSmallIntegerField(default=150, validators=[django.core.validators.MinValueValidator(30), django.core.validators.MaxValueValidator(720)], verbose_name='lunch lasts (minutes)')),
                ('tea_minutes', models.PositiveSmallIntegerField(default=120, validators=[django.core.validators.MinValueValidator(30), django.core.validators.MaxValueValidator(720)], verbose_name='afternoon tea lasts (minutes)')),
                ('dinner_minutes', models.PositiveSmallIntegerField(default=180, validators=[django.core.validators.MinValueValidator(30), django.core.validators.MaxValueValidator(720)], verbose_name='dinner lasts (minutes)')),
                ('late_minutes', models.PositiveSmallIntegerField(default=150, validators=[django.core.validators.MinValueValidator(30), django.core.validators.MaxValueValidator(720)], verbose_name='late night lasts (minutes)')),
            ],
            options={
                'verbose_name': 'booking settings',
                'verbose_name_plural': 'booking settings',
            },
        ),
        migrations.CreateModel(
            name='Booking',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('contact_name', models.CharField(blank=True, max_length=40, verbose_name='contact name')),
                ('contact_phone', models.CharField(blank=True, max_length=30, validators=[guests.validators.validate_landline], verbose_name='contact phone')),
                ('date', models.DateField(verbose_name='date')),
                ('meal_period', models.CharField(choices=[('breakfast', 'Breakfast'), ('lunch', 'Lunch'), ('tea', 'Afternoon tea'), ('dinner', 'Dinner'), ('late', 'Late night')], max_length=10, verbose_name='meal period')),
                ('arrival_time', models.TimeField(verbose_name='arrival time')),
                ('end_time', models.TimeField(blank=True, help_text="Only when an end was agreed; else the meal period's usual length.", null=True, verbose_name='end time')),
                ('starts_at', models.DateTimeField(editable=False, verbose_name='held from')),
                ('ends_at', models.DateTimeField(editable=False, verbose_name='held until')),
                ('party_size', models.PositiveSmallIntegerField(validators=[django.core.validators.MinValueValidator(1), django.core.validators.MaxValueValidator(500)], verbose_name='party size')),
                ('purpose', models.CharField(choices=[('business', 'Business reception'), ('government', 'Government reception'), ('family', 'Family meal'), ('birthday', 'Birthday'), ('wedding', 'Wedding'), ('anniversary', 'Anniversary'), ('other', 'Other')], default='other', max_length=12, verbose_name='purpose')),
                ('standard_kind', models.CharField(blank=True, choices=[('', 'No standard agreed'), ('per_table', 'Per table'), ('per_head', 'Per head')], default='', max_length=10, verbose_name='standard (餐标)')),
                ('standard_amount', models.DecimalField(blank=True, decimal_places=2, max_digits=10, null=True, validators=[django.core.validators.MinValueValidator(Decimal('0.01'))], verbose_name='standard amount (yuan)')),
                ('menu', models.TextField(blank=True, max_length=2000, verbose_name='pre-ordered dishes or set menu')),
                ('drinks', models.TextField(blank=True, max_length=1000, verbose_name='drinks')),
                ('drinks_brought', models.BooleanField(default=False, verbose_name='the guest brings drinks')),
                ('special_requests', models.TextField(blank=True, max_length=2000, verbose_name='special requests')),
                ('dietary_notes', models.TextField(blank=True, help_text="Taboos and allergies of the other guests at the table, added to the host's.", max_length=1000, verbose_name='dietary needs of this party')),
                ('dietary_confirmed', models.BooleanField(default=False, verbose_name="host's taboos and allergies confirmed")),
                ('deposit_amount', models.DecimalField(blank=True, decimal_places=2, max_digits=10, null=True, validators=[django.core.validators.MinValueValidator(Decimal('0.01'))], verbose_name='deposit (yuan)')),
                ('deposit_method', models.CharField(blank=True, choices=[('', 'No deposit'), ('cash', 'Cash'), ('card', 'Bank card'), ('mobile', 'Mobile pay'), ('transfer', 'Bank transfer')], default='', max_length=10, verbose_name='deposit paid by')),
                ('deposit_state', models.CharField(choices=[('none', 'No deposit'), ('held', 'Held'), ('refunded', 'Refunded'), ('kept', 'Kept')], default='none', max_length=10, verbose_name='deposit')),
                ('source', models.CharField(choices=[('phone', 'Phone'), ('walk_in', 'Walk-in'), ('wechat', 'WeChat'), ('staff', 'Own client of a member of staff'), ('partner', 'Partner system')], default='phone', max_length=10, verbose_name='source')),
                ('status', models.CharField(choices=[('tentative', 'Tentative'), ('confirmed', 'Confirmed'), ('arrived', 'Arrived'), ('completed', 'Completed'), ('cancelled', 'Cancelled'), ('no_show', 'No-show')], default='confirmed', max_length=10, verbose_name='status')),
                ('hold_until', models.DateTimeField(blank=True, help_text='A tentative booking is released at this time.', null=True, verbose_name='tentative hold until')),
                ('arrived_at', models.DateTimeField(blank=True, editable=False, null=True, verbose_name='arrived at')),
                ('cancel_reason', models.CharField(blank=True, choices=[('', 'Not cancelled'), ('guest', 'The guest cancelled'), ('changed', 'Plans changed, booked again'), ('duplicate', 'Booked twice by mistake'), ('restaurant', 'The restaurant cancelled'), ('hold_expired', 'Tentative hold expired'), ('other', 'Other')], default='', max_length=12, verbose_name='cancellation reason')),
                ('cancel_note', models.TextField(blank=True, max_length=500, verbose_name='cancellation note')),
                ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='created')),
                ('updated_at', models.DateTimeField(auto_now=True, verbose_name='revised')),
                ('booked_by', models.ForeignKey(blank=True, help_text="The host's related person who made the booking (a secretary, a driver), if not the host.", null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='bookings', to='guests.relatedperson', verbose_name='booked by')),
                ('created_by', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='booked at the desk by')),
                ('deposit_taken_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='deposit taken by')),
                ('guest', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='bookings', to='guests.guest', verbose_name='host guest')),
                ('outlet', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='bookings', to='staff.outlet', verbose_name='outlet')),
                ('owner', models.ForeignKey(blank=True, help_text='The member of staff who looks after the guest.', null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='owned_bookings', to=settings.AUTH_USER_MODEL, verbose_name='owner')),
                ('visit', models.OneToOneField(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='booking', to='visits.visit', verbose_name='visit')),
            ],
            options={
                'verbose_name': 'booking',
                'verbose_name_plural': 'bookings',
                'ordering': ['date', 'arrival_time', 'id'],
                'permissions': [('serve_booking', 'Can mark a party arrived, seat a walk-in and complete a booking'), ('view_deposit', 'Can see and take booking deposits')],
            },
        ),
        migrations.CreateModel(
            name='BookingEvent',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('action', models.CharField(choices=[('create', 'Booked'), ('walk_in', 'Walk-in seated'), ('change', 'Changed'), ('confirm', 'Confirmed'), ('arrive', 'Arrived'), ('complete', 'Completed with its visit'), ('cancel', 'Cancelled'), ('no_show', 'Marked a no-show'), ('release', 'Released: the hold expired')], max_length=10, verbose_name='action')),
                ('from_status', models.CharField(blank=True, choices=[('tentative', 'Tentative'), ('confirmed', 'Confirmed'), ('arrived', 'Arrived'), ('completed', 'Completed'), ('cancelled', 'Cancelled'), ('no_show', 'No-show')], max_length=10, verbose_name='from')),
                ('to_status', models.CharField(choices=[('tentative', 'Tentative'), ('confirmed', 'Confirmed'), ('arrived', 'Arrived'), ('completed', 'Completed'), ('cancelled', 'Cancelled'), ('no_show', 'No-show')], max_length=10, verbose_name='to')),
                ('at', models.DateTimeField(auto_now_add=True, verbose_name='at')),
                ('changes', models.JSONField(blank=True, default=dict, verbose_name='changes')),
                ('note', models.TextField(blank=True, max_length=500, verbose_name='note')),
                ('actor', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='by')),
                ('booking', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='events', to='bookings.booking')),
            ],
            options={
                'verbose_name': 'booking step',
                'verbose_name_plural': 'booking steps',
                'ordering': ['at', 'id'],
            },
        ),
        migrations.CreateModel(
            name='BookingRoom',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('starts_at', models.DateTimeField(verbose_name='held from')),
                ('ends_at', models.DateTimeField(verbose_name='held until')),
                ('active', models.BooleanField(default=True, verbose_name='holds the room')),
                ('booking', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='holds', to='bookings.booking', verbose_name='booking')),
                ('room', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='holds', to='staff.room', verbose_name='room or table')),
            ],
            options={
                'verbose_name': 'room held by a booking',
                'verbose_name_plural': 'rooms held by bookings',
                'ordering': ['booking', 'room__name'],
            },
        ),
        migrations.AddField(
            model_name='booking',
            name='rooms',
            field=models.ManyToManyField(blank=True, related_name='bookings', through='bookings.BookingRoom', to='staff.room', verbose_name='rooms or tables'),
        ),
        migrations.CreateModel(
            name='HistoricalBooking',
            fields=[
                ('id', models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name='ID')),
                ('contact_name', models.CharField(blank=True, max_length=40, verbose_name='contact name')),
                ('contact_phone', models.CharField(blank=True, max_length=30, validators=[guests.validators.validate_landline], verbose_name='contact phone')),
                ('date', models.DateField(verbose_name='date')),
                ('meal_period', models.CharField(choices=[('breakfast', 'Breakfast'), ('lunch', 'Lunch'), ('tea', 'Afternoon tea'), ('dinner', 'Dinner'), ('late', 'Late night')], max_length=10, verbose_name='meal period')),
                ('arrival_time', models.TimeField(verbose_name='arrival time')),
                ('end_time', models.TimeField(blank=True, help_text="Only when an end was agreed; else the meal period's usual length.", null=True, verbose_name='end time')),
                ('starts_at', models.DateTimeField(editable=False, verbose_name='held from')),
                ('ends_at', models.DateTimeField(editable=False, verbose_name='held until')),
                ('party_size', models.PositiveSmallIntegerField(validators=[django.core.validators.MinValueValidator(1), django.core.validators.MaxValueValidator(500)], verbose_name='party size')),
                ('purpose', models.CharField(choices=[('business', 'Business reception'), ('government', 'Government reception'), ('family', 'Family meal'), ('birthday', 'Birthday'), ('wedding', 'Wedding'), ('anniversary', 'Anniversary'), ('other', 'Other')], default='other', max_length=12, verbose_name='purpose')),
                ('standard_kind', models.CharField(blank=True, choices=[('', 'No standard agreed'), ('per_table', 'Per table'), ('per_head', 'Per head')], default='', max_length=10, verbose_name='standard (餐标)')),
                ('standard_amount', models.DecimalField(blank=True, decimal_places=2, max_digits=10, null=True, validators=[django.core.validators.MinValueValidator(Decimal('0.01'))], verbose_name='standard amount (yuan)')),
                ('menu', models.TextField(blank=True, max_length=2000, verbose_name='pre-ordered dishes or set menu')),
                ('drinks', models.TextField(blank=True, max_length=1000, verbose_name='drinks')),
                ('drinks_brought', models.BooleanField(default=False, verbose_name='the guest brings drinks')),
                ('special_requests', models.TextField(blank=True, max_length=2000, verbose_name='special requests')),
                ('dietary_notes', models.TextField(blank=True, help_text="Taboos and allergies of the other guests at the table, added to the host's.", max_length=1000, verbose_name='dietary needs of this party')),
                ('dietary_confirmed', models.BooleanField(default=False, verbose_name="host's taboos and allergies confirmed")),
                ('deposit_amount', models.DecimalField(blank=True, decimal_places=2, max_digits=10, null=True, validators=[django.core.validators.MinValueValidator(Decimal('0.01'))], verbose_name='deposit (yuan)')),
                ('deposit_method', models.CharField(blank=True, choices=[('', 'No deposit'), ('cash', 'Cash'), ('card', 'Bank card'), ('mobile', 'Mobile pay'), ('transfer', 'Bank transfer')], default='', max_length=10, verbose_name='deposit paid by')),
                ('deposit_state', models.CharField(choices=[('none', 'No deposit'), ('held', 'Held'), ('refunded', 'Refunded'), ('kept', 'Kept')], default='none', max_length=10, verbose_name='deposit')),
                ('source', models.CharField(choices=[('phone', 'Phone'), ('walk_in', 'Walk-in'), ('wechat', 'WeChat'), ('staff', 'Own client of a member of staff'), ('partner', 'Partner system')], default='phone', max_length=10, verbose_name='source')),
                ('status', models.CharField(choices=[('tentative', 'Tentative'), ('confirmed', 'Confirmed'), ('arrived', 'Arrived'), ('completed', 'Completed'), ('cancelled', 'Cancelled'), ('no_show', 'No-show')], default='confirmed', max_length=10, verbose_name='status')),
                ('hold_until', models.DateTimeField(blank=True, help_text='A tentative booking is released at this time.', null=True, verbose_name='tentative hold until')),
                ('arrived_at', models.DateTimeField(blank=True, editable=False, null=True, verbose_name='arrived at')),
                ('cancel_reason', models.CharField(blank=True, choices=[('', 'Not cancelled'), ('guest', 'The guest cancelled'), ('changed', 'Plans changed, booked again'), ('duplicate', 'Booked twice by mistake'), ('restaurant', 'The restaurant cancelled'), ('hold_expired', 'Tentative hold expired'), ('other', 'Other')], default='', max_length=12, verbose_name='cancellation reason')),
                ('cancel_note', models.TextField(blank=True, max_length=500, verbose_name='cancellation note')),
                ('created_at', models.DateTimeField(blank=True, editable=False, verbose_name='created')),
                ('history_id', models.AutoField(primary_key=True, serialize=False)),
                ('history_date', models.DateTimeField(db_index=True)),
                ('history_change_reason', models.CharField(max_length=100, null=True)),
                ('history_type', models.CharField(choices=[('+', 'Created'), ('~', 'Changed'), ('-', 'Deleted')], max_length=1)),
                ('booked_by', models.ForeignKey(blank=True, db_constraint=False, help_text="The host's related person who made the booking (a secretary, a driver), if not the host.", null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='guests.relatedperson', verbose_name='booked by')),
                ('created_by', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='booked at the desk by')),
                ('deposit_taken_by', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='deposit taken by')),
                ('guest', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='guests.guest', verbose_name='host guest')),
                ('history_user', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('outlet', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='staff.outlet', verbose_name='outlet')),
                ('owner', models.ForeignKey(blank=True, db_constraint=False, help_text='The member of staff who looks after the guest.', null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='owner')),
                ('visit', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='visits.visit', verbose_name='visit')),
            ],
            options={
                'verbose_name': 'historical booking',
                'verbose_name_plural': 'historical bookings',
                'ordering': ('-history_date', '-history_id'),
                'get_latest_by': ('history_date', 'history_id'),
            },
            bases=(simple_history.models.HistoricalChanges, models.Model),
        ),
        migrations.CreateModel(
            name='WaitingEntry',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('date', models.DateField(verbose_name='date')),
                ('meal_period', models.CharField(choices=[('breakfast', 'Breakfast'), ('lunch', 'Lunch'), ('tea', 'Afternoon tea'), ('dinner', 'Dinner'), ('late', 'Late night')], max_length=10, verbose_name='meal period')),
                ('party_size', models.PositiveSmallIntegerField(validators=[django.core.validators.MinValueValidator(1), django.core.validators.MaxValueValidator(500)], verbose_name='party size')),
                ('room_kind', models.CharField(choices=[('any', 'Any room or table'), ('private', 'A private room'), ('table', 'A table in the hall')], default='any', max_length=10, verbose_name='room wanted')),
                ('note', models.TextField(blank=True, max_length=500, verbose_name='note')),
                ('status', models.CharField(choices=[('waiting', 'Waiting'), ('offered', 'Offered a room'), ('booked', 'Booked'), ('dropped', 'Dropped')], default='waiting', max_length=10, verbose_name='status')),
                ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='created')),
                ('booking', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='bookings.booking', verbose_name='booking')),
                ('created_by', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='by')),
                ('guest', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='waiting_entries', to='guests.guest', verbose_name='guest')),
                ('outlet', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='staff.outlet', verbose_name='outlet')),
            ],
            options={
                'verbose_name': 'waiting list entry',
                'verbose_name_plural': 'waiting list',
                'ordering': ['created_at', 'id'],
            },
        ),
        migrations.AddIndex(
            model_name='bookingroom',
            index=models.Index(fields=['room', 'starts_at'], name='booking_room_period_idx'),
        ),
        migrations.AddConstraint(
            model_name='bookingroom',
            constraint=models.UniqueConstraint(fields=('booking', 'room'), name='booking_room_once'),
        ),
        migrations.AddConstraint(
            model_name='bookingroom',
            constraint=bookings.constraints.PostgresExclusionConstraint(condition=models.Q(('active', True)), expressions=[('room', '='), (bookings.constraints.TsTzRange('starts_at', 'ends_at'), '&&')], name='booking_room_no_overlap'),
        ),
        migrations.AddIndex(
            model_name='booking',
            index=models.Index(fields=['outlet', 'date', 'meal_period'], name='booking_outlet_day_idx'),
        ),
        migrations.AddIndex(
            model_name='booking',
            index=models.Index(fields=['guest', '-date'], name='booking_guest_idx'),
        ),
        migrations.AddIndex(
            model_name='booking',
            index=models.Index(condition=models.Q(('status', 'tentative')), fields=['hold_until'], name='booking_tentative_hold_idx'),
        ),
        migrations.AddConstraint(
            model_name='booking',
            constraint=models.CheckConstraint(condition=models.Q(('party_size__gte', 1)), name='booking_party_at_least_one'),
        ),
        migrations.AddConstraint(
            model_name='booking',
            constraint=models.CheckConstraint(condition=models.Q(('ends_at__gt', models.F('starts_at'))), name='booking_ends_after_start'),
        ),
        migrations.AddConstraint(
            model_name='booking',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('status', 'tentative'), _negated=True), ('hold_until__isnull', False), _connector='OR'), name='booking_tentative_held_until'),
        ),
        migrations.AddIndex(
            model_name='waitingentry',
            index=models.Index(fields=['outlet', 'date', 'meal_period', 'status'], name='waiting_slot_idx'),
        ),
        migrations.AddConstraint(
            model_name='waitingentry',
            constraint=models.CheckConstraint(condition=models.Q(('party_size__gte', 1)), name='waiting_party_at_least_one'),
        ),
    ]
