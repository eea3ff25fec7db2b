"""Serializers of the owner referral API (推荐好友)."""

from __future__ import annotations

from rest_framework import serializers


class ReferralItemSerializer(serializers.Serializer):
    referee = serializers.CharField(help_text="the friend, masked: 李* 138****5678")
    created_at = serializers.DateTimeField()
    rewarded_points = serializers.IntegerField(min_value=0, help_text="0 beyond the monthly cap or with the rule off")


class MyReferralsSerializer(serializers.Serializer):
    code = serializers.CharField(allow_null=True,
                                 help_text="my referral code: my card number (null before the card is opened)")
    share_url = serializers.URLField(allow_null=True,
                                     help_text="the mini-site join link to share (null without a card)")
    count = serializers.IntegerField(min_value=0, help_text="friends who opened their card with my code")
    points_earned = serializers.IntegerField(min_value=0)
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = ReferralItemSerializer(many=True)
